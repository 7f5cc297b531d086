"""deidc: a compiler for DICOM de-identification recipes."""

__version__ = "0.1.0"
