"""deid's ``deid.utils`` helper that user code relies on: ``get_installdir``."""

from __future__ import annotations

import os

__all__ = ["get_installdir"]


def get_installdir() -> str:
    """Return the folder of the installed ``deidc`` package (its parent holds ``examples/``)."""
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
