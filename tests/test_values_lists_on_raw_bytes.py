"""``values:`` lists tested on raw bytes decide exactly as when every element is decoded first.

The runtime tests a raw (undecoded) element against a ``values:`` list on its bytes where
that is exact (``deidc.runtime.listmatch``): these tests write elements of every text and
number VR, read them back raw, and compare with the decision on the decoded element.
"""

from __future__ import annotations

import io
import warnings

import pydicom
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.tag import BaseTag
from pydicom.uid import ExplicitVRBigEndian, ExplicitVRLittleEndian

from deidc.runtime.listmatch import BYTES_VRS, NUMBER_FORMATS, TEXT_VRS, ValuesTest, ascii_safe, text_codec, unpacked
from deidc.runtime.walk import Entry
from deidc.runtime.workset import walk

# one private block, one element per (VR, slot): written with an explicit VR, read back raw
_BASE = 0x00091000
_TEXT_ALPHABET = "abcABC019 .^-_',[]\\=\té\u212a\u017f\xa0üOo"
_INTS = {"US": (0, 65535), "SS": (-32768, 32767), "UL": (0, 2**32 - 1), "SL": (-(2**31), 2**31 - 1),
         "SV": (-(2**63), 2**63 - 1), "UV": (0, 2**64 - 1)}


def _text_values(vr: str) -> st.SearchStrategy[list[str]]:
    item = st.text(alphabet=_TEXT_ALPHABET, min_size=1, max_size=8).map(lambda t: t.replace("\\", "/"))
    if vr in ("LT", "ST", "UT", "UR"):
        return st.lists(st.text(alphabet=_TEXT_ALPHABET, min_size=1, max_size=12), min_size=1, max_size=1)
    if vr in ("DS", "IS"):
        number = st.integers(-999, 9999).map(str) if vr == "IS" else st.decimals(
            -1000, 1000, places=2, allow_nan=False, allow_infinity=False).map(str)
        return st.lists(number, min_size=1, max_size=3)
    return st.lists(item, min_size=1, max_size=3)


def _number_values(vr: str) -> st.SearchStrategy[list[object]]:
    if vr in ("FL", "FD"):
        width = 32 if vr == "FL" else 64
        return st.lists(st.floats(width=width, allow_nan=False, allow_infinity=False), min_size=1, max_size=3)
    low, high = _INTS[vr]
    return st.lists(st.integers(low, high), min_size=1, max_size=3)


def _bytes_values(vr: str) -> st.SearchStrategy[list[object]]:
    size = {"OB": 1, "OW": 2, "OF": 4, "OL": 4, "OD": 8, "OV": 8}[vr]
    printable = st.binary(max_size=4).map(lambda b: b + b"Doe\\'x\x00"[: len(b) % 7])  # text-like pieces too
    return st.lists(printable.map(lambda b: b + b"\x00" * (-len(b) % size)), min_size=1, max_size=1)


def _values_of(vr: str) -> st.SearchStrategy[list[object]]:
    if vr in NUMBER_FORMATS:
        return _number_values(vr)
    return _bytes_values(vr) if vr in BYTES_VRS else _text_values(vr)


@st.composite
def _elements(draw: st.DrawFn) -> list[tuple[str, list[object]]]:
    vrs = draw(st.lists(st.sampled_from(sorted(TEXT_VRS | set(NUMBER_FORMATS) | BYTES_VRS)), min_size=1, max_size=6))
    return [(vr, draw(_values_of(vr))) for vr in vrs]


def _write(elements: list[tuple[str, list[object]]], charset: str | None, big_endian: bool) -> bytes:
    dataset = Dataset()
    if charset is not None:
        dataset.SpecificCharacterSet = charset
    dataset.add_new(0x00090010, "LO", "DEIDC TEST")
    for number, (vr, values) in enumerate(elements):
        dataset.add_new(_BASE + number, vr, values[0] if len(values) == 1 else values)
    dataset.file_meta = FileMetaDataset()
    dataset.file_meta.TransferSyntaxUID = ExplicitVRBigEndian if big_endian else ExplicitVRLittleEndian
    dataset.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    dataset.file_meta.MediaStorageSOPInstanceUID = "1.2.3.4"
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dataset.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def _entries(data: bytes) -> list[Entry]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return list(walk(pydicom.dcmread(io.BytesIO(data))))


def _decoded_decision(values: list[str], entry: Entry) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        entry.element  # noqa: B018 - decode it
        return ValuesTest(values, False).matches(entry)


def _raw_decision(values: list[str], entries: list[Entry], entry: Entry) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ValuesTest(values, ascii_safe(entries), text_codec(entries)).matches(entry)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(elements=_elements(), charset=st.sampled_from([None, "ISO_IR 100", "ISO_IR 192", "ISO 2022 IR 87"]),
       big_endian=st.booleans(), data=st.data())
def test_a_raw_element_matches_a_values_list_exactly_when_its_decoded_value_does(
        elements: list[tuple[str, list[object]]], charset: str | None, big_endian: bool, data: st.DataObject) -> None:
    try:
        written = _write(elements, charset, big_endian)
    except (ValueError, TypeError, OverflowError, UnicodeError, LookupError):
        written = b""  # a value pydicom cannot write in that VR or character set
    assume(written)
    raw_entries = _entries(written)
    decoded_entries = _entries(written)
    texts = [str(v) for _, values in elements for v in values]
    # list values: pieces of the written values (so that matches happen) and free text
    piece = st.sampled_from(texts).flatmap(
        lambda t: st.tuples(st.integers(0, len(t)), st.integers(0, len(t))).map(lambda ij: t[min(ij):max(ij)]))
    values = data.draw(st.lists(st.one_of(piece, st.text(alphabet=_TEXT_ALPHABET, max_size=4)), min_size=1,
                                max_size=4))
    for raw, decoded in zip(raw_entries, decoded_entries, strict=True):
        assert raw.tag == decoded.tag
        assert _raw_decision(values, raw_entries, raw) == _decoded_decision(values, decoded), (raw.vr, values)


@pytest.mark.parametrize(("vr", "value", "listed", "expected"), [
    ("LO", "SMITH\\JONES", ["h', 'j"], True),  # several values are tested as pydicom's text ['SMITH', 'JONES']
    ("LO", "SMITH\\JONES", ["hjo"], False),
    ("PN", "Doe^John", ["OE^J"], True),
    ("PN", "Doe^John", ["Doé"], False),
    ("US", [1, 2], ["1, 2"], False),  # several numbers are a plain list, tested one by one
    ("US", [1, 2], ["2"], True),
    ("US", [1, 2], ["12"], False),
    ("FD", 0.1, ["0.1"], True),
    ("UI", "1.2.840.10008", ["10008"], True),
    ("SH", "Kelvin", ["\u212aelvin"], True),  # the Kelvin sign folds to K, so the bytes cannot decide it
    ("PN", "Müller^Jürgen", ["ÜLLER"], True),  # Latin-1 bytes decoded as pydicom decodes them
    ("PN", "Müller^Jürgen", ["mueller"], False),
    ("LO", "Zürich\\Genève", ["h', 'g"], True),
    ("LO", "Zürich\\Genève", ["rich"], True),
    ("LO", "Zürich\\Genève", ["rome"], False),
    ("OB", b"Doe\x00", ["b'doe\\x00'"], True),  # bytes are tested as the text of pydicom's value: their repr
    ("OB", b"Doe\x00", ["doe\x00"], False),
])
def test_values_lists_match_raw_elements_as_deid_matches_their_text(
        vr: str, value: object, listed: list[str], expected: bool) -> None:
    written = _write([(vr, value if isinstance(value, list) else [value])], "ISO_IR 100", False)
    entries = _entries(written)
    entry = next(e for e in entries if e.tag == _BASE)
    assert entry.raw is not None  # tested on its bytes first
    assert ValuesTest(listed, ascii_safe(entries), text_codec(entries)).matches(entry) is expected
    assert _decoded_decision(listed, next(e for e in _entries(written) if e.tag == _BASE)) is expected


def test_an_iso_2022_character_set_turns_the_byte_test_off() -> None:
    entries = _entries(_write([("LO", ["ABC"])], "ISO 2022 IR 87", False))
    assert not ascii_safe(entries)
    assert ascii_safe(_entries(_write([("LO", ["ABC"])], "ISO_IR 192", False)))


@pytest.mark.parametrize("values", [["s"], ["k", "ab"], ["i"], ["I"], ["é"], ["\xa0"], ["ab", "é"], ["z"]])
@pytest.mark.parametrize("text", ["\u017f", "\u212a", "\u0130", "\u0131", "é", "Kelvin", "\xa0ab", "ABé", "Zoo ſ"])
def test_decoded_text_is_searched_as_the_lists_regex_searches_it(values: list[str], text: str) -> None:
    """Without the regex where possible: the four characters that ASCII letters fold to must not be missed."""
    test = ValuesTest(values, True)
    assert test._in_text(text) is (test.regex.search(text) is not None), (values, text)


#: Latin-1 letters of both cases (and the ones without the other case: ß, ÿ, µ), and characters
#: beyond Latin-1 that ``re`` matches with some of them case-insensitively (ſ, K, Å, ı, İ, μ, Μ, Ÿ)
_LATIN_AND_BEYOND = "aAsSkKiIzZ éÉåÅüÜßÿµ×÷\xa0^'" + "\u017f\u212a\u212b\u0131\u0130\u03bc\u039c\u0178"


@settings(max_examples=400, deadline=None)
@given(values=st.lists(st.text(alphabet=_LATIN_AND_BEYOND, max_size=3), min_size=1, max_size=3),
       text=st.text(alphabet=_LATIN_AND_BEYOND, max_size=10), ascii_text=st.booleans())
def test_any_text_is_searched_as_the_lists_regex_searches_it(values: list[str], text: str, ascii_text: bool) -> None:
    """The needles, the lower-cased Latin-1 values or the regex: the same answer as the regex."""
    test = ValuesTest(values, ascii_text)
    assert test._in_text(text) is (test.regex.search(text) is not None), (values, text)


def test_latin_1_text_is_searched_without_compiling_the_lists_regex() -> None:
    test = ValuesTest(["Müller^Sofia", "Ñú"], True)
    assert test._in_text("Dr. MÜLLER^SOFIA, ñÚ") and not test._in_text("Dr. Muller")
    assert test._regex is None  # no regex compiled: each file's lists differ
    assert ValuesTest(["\u03bc"], True)._in_text("\xb5") is True  # beyond Latin-1: the regex (micro sign ~ mu)


@pytest.mark.parametrize("vr", ["US", "UL", "FD"])
def test_a_number_element_of_a_length_pydicom_cannot_unpack_is_decoded_to_be_tested(vr: str) -> None:
    value = b"\x01\x02\x03"  # 3 bytes: no whole number of any of these VRs
    raw = RawDataElement(BaseTag(_BASE + 1), vr, len(value), value, 0, False, True)
    assert unpacked(vr, raw) is None
    assert ValuesTest(["3"], True).raw_matches(vr, raw) is None  # left to pydicom's decoding
    assert unpacked(vr, raw._replace(value=value + b"\x04" * 5)) is not None  # 8 bytes: whole numbers
