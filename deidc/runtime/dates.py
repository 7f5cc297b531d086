"""Date arithmetic for JITTER: DICOM DA and DT values shifted by whole days.

Pure functions over strings; pydicom's own ``DA``/``DT`` types parse the values.
"""

from __future__ import annotations

import datetime

from pydicom.valuerep import DA, DT


class NotADate(ValueError):
    """A value JITTER cannot read as a date."""


def shift_da(value: str, days: int) -> str:
    """Return a DA value (``YYYYMMDD``, or the old ``YYYY.MM.DD``) moved by ``days``."""
    text = value.strip()
    if len(text) == 10 and text[4] == "." and text[7] == ".":
        text = text.replace(".", "")
    if len(text) != 8 or not text.isdigit():
        raise NotADate(f"'{value}' is not a full date (YYYYMMDD)")
    try:
        parsed = DA(text)
    except ValueError as error:
        raise NotADate(f"'{value}' is not a valid date") from error
    if parsed is None:
        raise NotADate(f"'{value}' is not a valid date")
    return (datetime.date(parsed.year, parsed.month, parsed.day) + datetime.timedelta(days=days)).strftime("%Y%m%d")


def shift_dt(value: str, days: int) -> str:
    """Return a DT value moved by ``days``, written as deid writes it (``%Y%m%d%H%M%S.%f%z``)."""
    text = value.strip()
    if len(text) < 8 or not text[:8].isdigit():
        raise NotADate(f"'{value}' is not a date-time (YYYYMMDDHHMMSS...)")
    try:
        parsed = DT(text)
    except ValueError as error:
        raise NotADate(f"'{value}' is not a valid date-time") from error
    if parsed is None:
        raise NotADate(f"'{value}' is not a valid date-time")
    moved = datetime.datetime(parsed.year, parsed.month, parsed.day, parsed.hour, parsed.minute, parsed.second,
                              parsed.microsecond, parsed.tzinfo) + datetime.timedelta(days=days)
    return moved.strftime("%Y%m%d%H%M%S.%f%z")


def shift(value: str, vr: str, days: int) -> str:
    """Return a DA or DT value moved by ``days``."""
    if vr == "DT":
        return shift_dt(value, days)
    return shift_da(value, days)
