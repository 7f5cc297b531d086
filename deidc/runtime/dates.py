"""Date arithmetic for JITTER: DICOM DA and DT values shifted by whole days.

Pure functions over strings. A DA value is eight digits, read as pydicom's ``DA`` reads
them; a DT value is parsed by pydicom's own ``DT``. A date moved outside the years 1 to
9999 is not a date either (:class:`NotADate`).
"""

from __future__ import annotations

import datetime
from typing import TypeVar

from pydicom.valuerep import DT


class NotADate(ValueError):
    """A value JITTER cannot read as a date."""


_Moment = TypeVar("_Moment", datetime.date, datetime.datetime)


def _moved(moment: _Moment, days: int, value: str) -> _Moment:
    """Return a date or date-time moved by ``days`` (NotADate when that leaves the years 1 to 9999)."""
    try:
        return moment + datetime.timedelta(days=days)
    except OverflowError as error:
        raise NotADate(f"'{value}' moved by {days} days is outside the years 1 to 9999") from error


def shift_da(value: str, days: int) -> str:
    """Return a DA value (``YYYYMMDD``, or the old ``YYYY.MM.DD``) moved by ``days``."""
    text = value.strip()
    if len(text) == 10 and text[4] == "." and text[7] == ".":
        text = text.replace(".", "")
    if len(text) != 8 or not text.isdigit():
        raise NotADate(f"'{value}' is not a full date (YYYYMMDD)")
    try:  # (what pydicom's DA reads from eight digits, without making one)
        parsed = datetime.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError as error:
        raise NotADate(f"'{value}' is not a valid date") from error
    moved = _moved(parsed, days, value)
    if moved.year < 1000:
        return moved.strftime("%Y%m%d")  # as deid writes it (strftime does not pad the year)
    return f"{moved.year}{moved.month:02d}{moved.day:02d}"


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
    moved = _moved(datetime.datetime(parsed.year, parsed.month, parsed.day, parsed.hour, parsed.minute,
                                     parsed.second, parsed.microsecond, parsed.tzinfo), days, value)
    return moved.strftime("%Y%m%d%H%M%S.%f%z")


def shift(value: str, vr: str, days: int) -> str:
    """Return a DA or DT value moved by ``days``."""
    if vr == "DT":
        return shift_dt(value, days)
    return shift_da(value, days)
