"""deid's ``deid.dicom.pixels`` API: filters that flag images for pixel cleaning."""

from __future__ import annotations

from deidc.dicom.pixels.detect import has_burned_pixels

__all__ = ["has_burned_pixels"]
