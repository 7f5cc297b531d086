"""JITTER's date arithmetic gives what pydicom's DA and ``strftime`` give, and fails as a step, never as a crash."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydicom.dataset import Dataset
from pydicom.valuerep import DA

from deidc.compiler import compile_recipe
from deidc.runtime import execute
from deidc.runtime.dates import NotADate, shift_da, shift_dt
from deidc.runtime.engine import StepError


def _by_pydicom(value: str, days: int) -> str | None:
    """The shift as read by pydicom's DA and written by ``strftime`` (deid's way); None: not a date."""
    text = value.strip()
    if len(text) == 10 and text[4] == "." and text[7] == ".":
        text = text.replace(".", "")
    if len(text) != 8 or not text.isdigit():
        return None
    try:
        parsed = DA(text)
        return (datetime.date(parsed.year, parsed.month, parsed.day) + datetime.timedelta(days=days)).strftime("%Y%m%d")
    except (ValueError, TypeError, OverflowError):
        return None


def _shifted(value: str, days: int) -> str | None:
    try:
        return shift_da(value, days)
    except NotADate:
        return None


_digits = st.tuples(st.integers(0, 9999), st.integers(0, 13), st.integers(0, 32)).map(
    lambda t: f"{t[0]:04d}{t[1]:02d}{t[2]:02d}")


@given(value=st.one_of(_digits, _digits.map(lambda t: f"{t[:4]}.{t[4:6]}.{t[6:]}"), _digits.map(lambda t: t + " "),
                       st.text(alphabet="0123456789.٣ ", max_size=10)),
       days=st.one_of(st.integers(-800, 800), st.integers(-4_000_000, 4_000_000)))
def test_a_date_moves_as_pydicoms_date_moves(value: str, days: int) -> None:
    assert _shifted(value, days) == _by_pydicom(value, days)


@pytest.mark.parametrize("value", ["2020-1-1", "20200230", "2020013", ""])
def test_impossible_days_and_other_forms_are_not_dates(value: str) -> None:
    assert _by_pydicom(value, 1) is None
    with pytest.raises(NotADate):
        shift_da(value, 1)


def test_digits_other_than_ascii_ones_are_read_as_pydicom_reads_them() -> None:
    arabic = "\u0662\u0660\u0662\u0660\u0660\u0661\u0660\u0661"  # 20200101 in Arabic-Indic digits
    assert shift_da(arabic, 1) == _by_pydicom(arabic, 1) == "20200102"


@pytest.mark.parametrize(("value", "days", "expected"), [
    ("20200229", 1, "20200301"), ("20191231", 1, "20200101"),
    ("10000101", -1, datetime.date(999, 12, 31).strftime("%Y%m%d")),  # (glibc: 9991231, not padded)
])
def test_the_year_is_written_as_strftime_writes_it(value: str, days: int, expected: str) -> None:
    assert shift_da(value, days) == expected


@pytest.mark.parametrize(("shift", "value", "days"), [(shift_da, "99991231", 1), (shift_da, "00010101", -1),
                                                       (shift_dt, "99991231235959", 1)])
def test_a_date_moved_beyond_the_years_datetime_holds_is_not_a_date(shift: object, value: str, days: int) -> None:
    with pytest.raises(NotADate, match="outside the years 1 to 9999"):
        shift(value, days)  # type: ignore[operator]


def test_jitter_beyond_the_last_year_fails_as_a_step_naming_its_line() -> None:
    dataset = Dataset()
    dataset.StudyDate = "99991231"
    plan = compile_recipe("FORMAT dicom\n%header\nJITTER StudyDate 1\n", path="r.deid").plan
    with pytest.raises(StepError) as raised:
        execute(plan, dataset, {})
    assert "r.deid:3" in str(raised.value) and "outside the years 1 to 9999" in str(raised.value)
