"""A ``values:`` list searched through the file's index (``TextIndex``) selects what testing each element selects.

The runtime joins a file's raw ASCII texts and numbers once and searches each list in
one pass (``deidc.runtime.listmatch.TextIndex``), testing one by one only the elements
that may match otherwise. A missed element would keep an identifier in the output, so
these tests compare the two on generated datasets, with lists drawn from the datasets'
own values, before and after elements are changed, removed and added.
"""

from __future__ import annotations

import io
import warnings

import pydicom
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydicom.dataset import Dataset

from deidc.compiler import compile_recipe
from deidc.runtime import execute, listmatch
from deidc.runtime.actions import SetValue, set_value
from deidc.runtime.listmatch import ValuesTest, ascii_safe, text_codec
from deidc.runtime.textindex import TextIndex
from deidc.runtime.walk import Entry
from deidc.runtime.workset import walk
from deidc.testing import datasets


def _with_numbers(dataset: Dataset, numbers: list[int], reals: list[float], codes: list[str]) -> Dataset:
    """Add binary numbers, several-valued text and a character set to a generated dataset."""
    block = dataset.private_block(0x0041, "DEIDC INDEX TEST", create=True)
    if numbers:
        block.add_new(0x01, "UL", numbers)
        block.add_new(0x02, "SS", [n % 30000 - 15000 for n in numbers])
        block.add_new(0x04, "US", [n % 65536 for n in numbers])
    if reals:
        block.add_new(0x03, "FD", reals)
    if codes:
        dataset.ImageType = codes
    return dataset


def _raw(dataset: Dataset, little: bool) -> Dataset:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pydicom.dcmwrite(buffer, dataset, implicit_vr=False, little_endian=little)
        return pydicom.dcmread(io.BytesIO(buffer.getvalue()), force=True)


#: values set in the tests are often invalid for their VR: pydicom's warnings say so, and do not matter here
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

_texts = st.text(alphabet="abcdeXYZ019.^-_ \\'[]\x00", min_size=1, max_size=5)


@st.composite
def _cases(draw: st.DrawFn) -> tuple[Dataset, list[list[str]], list[int]]:
    dataset = draw(datasets(max_depth=2))
    dataset = _with_numbers(dataset, draw(st.lists(st.integers(0, 2**32 - 1), max_size=3)),
                            draw(st.lists(st.floats(-1e6, 1e6, allow_nan=False, width=64), max_size=2)),
                            draw(st.lists(st.sampled_from(["ORIGINAL", "PRIMARY", "AXIAL", "DERIVED"]), max_size=3)))
    found = [str(e.value) for e in dataset.iterall() if e.VR != "SQ" and e.value not in (None, b"", "")]
    piece = st.sampled_from(found or ["none"]).flatmap(
        lambda text: st.tuples(st.integers(0, len(text)), st.integers(1, 6), st.booleans()).map(
            lambda t: text[t[0]:t[0] + t[1]].upper() if t[2] else text[t[0]:t[0] + t[1]]))
    lists = draw(st.lists(st.lists(st.one_of(piece, _texts), min_size=1, max_size=4), min_size=1, max_size=3))
    changes = draw(st.lists(st.integers(0, 10_000), max_size=6))
    return _raw(dataset, draw(st.booleans())), lists, changes


def _one_by_one(test: ValuesTest, entries: list[Entry]) -> list[Entry]:
    return [e for e in entries if e.live and test.matches(e)]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=_cases())
def test_the_index_selects_what_testing_each_element_selects(case: tuple[Dataset, list[list[str]], list[int]]) -> None:
    dataset, lists, changes = case
    entries = list(walk(dataset))
    codec = text_codec(entries) if ascii_safe(entries) else None
    for position, entry in enumerate(entries):  # half the elements decoded (not changed), as a list's lines do
        if (position + sum(changes)) % 2:
            _ = entry.element.value
    index = TextIndex(entries, codec=codec)
    changed: list[Entry] = []
    for round_, values in enumerate(lists):
        test = ValuesTest(values, True, codec)
        selected = index.select(test, entries, changed)
        expected = _one_by_one(test, entries)
        assert selected is None or selected == expected, (values, [e.uid for e in expected])
        for number in changes[round_::len(lists)]:  # change some elements between lists, as steps do
            entry = entries[number % len(entries)]
            if not entry.live or entry.vr == "SQ":
                continue
            if number % 5 == 4:  # decoded, not changed (a number so is tested one by one by a later list)
                _ = entry.element.value
                continue
            if number % 3 == 0:
                del entry.parent[entry.tag]
                entry.alive = False
            else:
                value = values[0].replace("\x00", "") or "x"
                try:
                    set_value(entry, SetValue(value if entry.vr not in listmatch.NUMBER_FORMATS else number))
                except (ValueError, TypeError, OverflowError):
                    continue
            changed.append(entry)


def test_a_list_with_the_separator_is_tested_element_by_element() -> None:
    dataset = _raw(_with_numbers(Dataset(), [1], [], []), True)
    entries = list(walk(dataset))
    assert TextIndex(entries).select(ValuesTest(["a\x00b"], True), entries, []) is None


def test_elements_made_after_the_index_are_tested() -> None:
    dataset = Dataset()
    dataset.PatientName = "Doe^Jane"
    dataset = _raw(dataset, True)
    entries = list(walk(dataset))
    index = TextIndex(entries)
    dataset.PatientID = "JANE-1"  # as ADD makes it: decoded, after the indexed ones
    entries.append(Entry((0x00100020,), dataset["PatientID"], dataset, ("PatientID",), False, None))
    assert [e.uid for e in index.select(ValuesTest(["jane"], True), entries, []) or []] == [
        "(0010,0010)", "(0010,0020)"]


RECIPE = """FORMAT dicom
%values names
FIELD PatientName
FIELD startswith:Referring
SPLIT PatientID by="-";minlength=2
%values codes
FIELD ImageType
FIELD select:vr:UL
%header
ADD PatientComments Doe
REPLACE values:names ANON
BLANK values:codes
REMOVE values:names
REPLACE values:codes 0
"""


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=_cases())
def test_runs_write_the_same_file_with_and_without_the_index(case: tuple[Dataset, list[list[str]], list[int]]) -> None:
    dataset = case[0]
    plan = compile_recipe(RECIPE, path="<values>").plan
    buffer = io.BytesIO()
    dataset.save_as(buffer)
    data = buffer.getvalue()

    def run() -> tuple[bytes, list[tuple[str, str, object]]]:
        copy = pydicom.dcmread(io.BytesIO(data), force=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = execute(plan, copy, {}, record_values=False, reuse_raw=True)
            out = io.BytesIO()
            copy.save_as(out)
        return out.getvalue(), [(c.uid, c.action, c.after) for c in result.changes]

    indexed = run()
    original = TextIndex.select
    TextIndex.select = lambda self, test, entries, changed: None  # type: ignore[method-assign]
    try:
        assert indexed == run()
    finally:
        TextIndex.select = original  # type: ignore[method-assign]


def test_a_number_decoded_after_the_index_is_made_is_still_found() -> None:
    dataset = _raw(_with_numbers(Dataset(), [123456, 7], [], []), True)
    entries = list(walk(dataset))
    index = TextIndex(entries)  # made by a first list, before any list needs the numbers
    assert index.select(ValuesTest(["zzz"], True), entries, []) == []
    number = next(e for e in entries if e.vr == "UL")
    assert number.is_raw and number.element.value == [123456, 7]  # decoded (read), not changed
    assert index.select(ValuesTest(["345"], True), entries, []) == [number]
    assert index.select(ValuesTest(["8"], True), entries, []) == []


def test_a_number_is_found_in_every_vr_whose_numbers_can_be_that_long() -> None:
    dataset = Dataset()
    block = dataset.private_block(0x0041, "DEIDC INDEX TEST", create=True)
    block.add_new(0x01, "US", [65535, 7])
    block.add_new(0x02, "SS", -32768)
    block.add_new(0x03, "UL", 4294967295)
    block.add_new(0x04, "SL", -2147483648)
    block.add_new(0x05, "FD", 1234567.25)
    block.add_new(0x06, "SV", -9223372036854775808)
    block.add_new(0x07, "UV", 18446744073709551615)
    dataset = _raw(dataset, True)
    entries = list(walk(dataset))
    index = TextIndex(entries)
    by_vr = {e.vr: e for e in entries if e.vr in listmatch.NUMBER_FORMATS}
    for needle, vrs in [("65535", {"US"}), ("-32768", {"SS"}), ("4294967295", {"UL"}), ("-2147483648", {"SL"}),
                        ("1234567", {"FD"}), ("-9223372036854775808", {"SV"}), ("18446744073709551615", {"UV"}),
                        ("5", {"US", "UL", "FD", "SV", "UV"}), ("68", {"SS", "SV"})]:
        test = ValuesTest([needle], True)
        found = index.select(test, entries, [])
        assert found == _one_by_one(test, entries)
        assert found == [by_vr[vr] for vr in by_vr if vr in vrs], needle


def test_elements_the_index_cannot_hold_are_tested_one_by_one() -> None:
    dataset = Dataset()
    block = dataset.private_block(0x0041, "DEIDC INDEX TEST", create=True)
    block.add_new(0x01, "LO", ["a\x01b", "c"])  # several values with a control character: repr escapes it
    block.add_new(0x02, "OB", b"x" * 5000 + b"secret")  # bytes too long to be copied into the index
    block.add_new(0x03, "AT", 0x00100010)  # neither text, nor bytes, nor numbers
    dataset = _raw(dataset, True)
    entries = list(walk(dataset))
    index = TextIndex(entries)
    for needle, tag in [("x01", 0x00411001), ("secret", 0x00411002), ("0010,0010", 0x00411003)]:
        test = ValuesTest([needle], True)
        found = index.select(test, entries, [])
        assert found == _one_by_one(test, entries)
        assert [e.tag for e in found or []] == [tag], needle


#: Latin-1 letters (µ among them, which matches the Greek mu case-insensitively), Greek, CJK, the long s
_CHARSET_TEXT = st.text(alphabet="abAB zÉéüÜßµÿ^'\\\u03b1\u0391\u03bc\u039c\u65e5\u017f", min_size=1, max_size=8)


@st.composite
def _non_ascii_cases(draw: st.DrawFn) -> tuple[Dataset, str, list[list[str]]]:
    charset = draw(st.sampled_from(["ISO_IR 100", "ISO_IR 192", "ISO_IR 126"]))
    dataset = Dataset()
    dataset.SpecificCharacterSet = charset
    texts = draw(st.lists(_CHARSET_TEXT, min_size=1, max_size=6))
    for number, (text, vr) in enumerate(zip(texts, ["LO", "PN", "SH", "LT", "LO", "ST"], strict=False)):
        dataset.add_new(0x00091010 + number, vr, text)
    dataset.add_new(0x00090010, "LO", "DEIDC CHARSET TEST")
    piece = st.sampled_from(texts).flatmap(lambda text: st.tuples(st.integers(0, len(text)), st.integers(1, 4)).map(
        lambda t: text[t[0]:t[0] + t[1]]))
    several = st.sampled_from(["', '", "['", "']", "é', '"])  # what pydicom's text of several values adds
    lists = draw(st.lists(st.lists(st.one_of(piece, piece.map(str.upper), _CHARSET_TEXT, several), min_size=1,
                                   max_size=3), min_size=1, max_size=3))
    return dataset, charset, lists


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=_non_ascii_cases())
def test_non_ascii_text_is_found_through_the_index_as_testing_each_element_finds_it(
        case: tuple[Dataset, str, list[list[str]]]) -> None:
    dataset, _, lists = case
    try:
        dataset = _raw(dataset, True)
    except (UnicodeError, ValueError):
        return  # a text the character set cannot hold
    entries = list(walk(dataset))
    codec = text_codec(entries) if ascii_safe(entries) else None
    index = TextIndex(entries, codec=codec)
    for values in lists:
        test = ValuesTest(values, True, codec)
        selected = index.select(test, entries, [])
        assert selected is None or selected == _one_by_one(test, entries), values


def test_a_latin_value_found_in_greek_text_case_insensitively_is_found_through_the_index() -> None:
    dataset = Dataset()
    dataset.SpecificCharacterSet = "ISO_IR 192"
    dataset.add_new(0x00091010, "LO", "Dr \u039c")  # capital mu, which the micro sign matches ignoring case
    dataset.add_new(0x00090010, "LO", "DEIDC CHARSET TEST")
    entries = list(walk(_raw(dataset, True)))
    test = ValuesTest(["\u00b5"], True, "UTF8")
    assert [e.tag for e in TextIndex(entries, codec="UTF8").select(test, entries, []) or []] == [0x00091010]
