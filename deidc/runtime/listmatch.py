"""``values:`` lists against elements: one list's test, compiled once per file and step.

deid's rule (and ours): an element matches when the text of its value, or of one of its
values, contains one of the list's values, case-insensitively and literally. Sequences
never match.

Reading every element's value to test it would convert every raw element into a pydicom
``DataElement`` (slow, and a converted element is slower to write again). So an element
still in its raw form is first tested on its bytes:

* text VRs: one of the list's values (as lower-case ASCII bytes) must be found in the
  raw bytes, lower-cased (ASCII letters only fold). The text tested is the value's ``str``: for one value a
  piece of the bytes, for several pydicom's ``['A', 'B']`` form, whose added characters
  (brackets, quotes, commas, a space after a comma) no eligible list value contains or
  starts or ends with. So when the bytes do not match, the text cannot. The shortcut is
  taken only when that holds: every list value is ASCII without those characters, the
  bytes are ASCII (and without control characters when they hold several values, as
  ``repr`` would escape them), and the character set decodes ASCII bytes to themselves
  (not ISO 2022, whose escape sequences are ASCII bytes too). When the bytes do match,
  the element is decoded and tested as usual.
* text in a single-byte character set or UTF-8 (the one character set of the dataset), in
  the VRs pydicom decodes with it (SH, LO, ST, LT, UC, UT, PN): the bytes are decoded with
  the same codec and the text searched, under the same conditions (for several values,
  the text must print without escapes).
* bytes (OB, OD, OF, OL, OV, OW): pydicom's value is the raw bytes, so their text is
  tested without converting the element.
* binary numbers (US, SS, UL, SL, FL, FD, SV, UV): the values are unpacked with
  :mod:`struct` exactly as pydicom unpacks them (several make a plain list, whose
  numbers are tested one by one), and their text tested.

Everything else (decoded elements, other VRs, other character sets) is decoded and tested.
"""

from __future__ import annotations

import functools
import re
import struct
from collections.abc import Iterable, Sequence
from typing import Final

from pydicom.dataelem import RawDataElement

from deidc.runtime.walk import Entry

#: VRs whose raw value is text in the dataset's character set
TEXT_VRS: Final = frozenset({"AE", "AS", "CS", "DA", "DS", "DT", "IS", "LO", "LT", "PN", "SH", "ST", "TM",
                             "UC", "UI", "UR", "UT"})
#: VRs whose value pydicom gives as the raw bytes themselves (not UN: pydicom may read it as another VR)
BYTES_VRS: Final = frozenset({"OB", "OD", "OF", "OL", "OV", "OW"})
#: VRs whose raw value is binary numbers, with their struct format
NUMBER_FORMATS: Final = {"US": "H", "SS": "h", "UL": "L", "SL": "l", "FL": "f", "FD": "d", "SV": "q", "UV": "Q"}
_SIZES: Final = {vr: struct.calcsize("=" + code) for vr, code in NUMBER_FORMATS.items()}
#: character sets (Specific Character Set terms) that decode ASCII bytes to the same ASCII text
ASCII_SAFE_CHARSETS: Final = frozenset({
    "", "ISO_IR 6", "ISO_IR 100", "ISO_IR 101", "ISO_IR 109", "ISO_IR 110", "ISO_IR 126", "ISO_IR 127",
    "ISO_IR 138", "ISO_IR 144", "ISO_IR 148", "ISO_IR 166", "ISO_IR 192", "ISO_IR 203",
})
_CHARSET_TAG: Final = 0x00080005
#: single-byte and UTF-8 character sets, with the codec pydicom decodes them with
SIMPLE_CODECS: Final = {
    "ISO_IR 100": "latin_1", "ISO_IR 101": "iso8859_2", "ISO_IR 109": "iso8859_3", "ISO_IR 110": "iso8859_4",
    "ISO_IR 126": "iso_ir_126", "ISO_IR 127": "iso_ir_127", "ISO_IR 138": "iso_ir_138", "ISO_IR 144": "iso_ir_144",
    "ISO_IR 148": "iso_ir_148", "ISO_IR 166": "iso_ir_166", "ISO_IR 192": "UTF8",
}
#: the VRs pydicom decodes with the dataset's character set (the others are read as ASCII)
CHARSET_VRS: Final = frozenset({"SH", "LO", "ST", "LT", "UC", "UT", "PN"})


def charset_terms(entries: Iterable[Entry]) -> set[str]:
    """Return the Specific Character Set terms declared anywhere in a working set (one pass)."""
    terms: set[str] = set()
    for entry in entries:
        if entry.tag == _CHARSET_TAG:
            value = entry.element.value
            found = [value] if isinstance(value, str) else list(value or ())
            terms.update(str(term).strip() for term in found)
    return terms


def ascii_safe(entries: Iterable[Entry], terms: set[str] | None = None) -> bool:
    """Return whether every character set declared in a working set decodes ASCII bytes as ASCII."""
    return (charset_terms(entries) if terms is None else terms) <= ASCII_SAFE_CHARSETS


def text_codec(entries: Iterable[Entry], terms: set[str] | None = None) -> str | None:
    """Return the codec of a working set's one character set, if it is single-byte or UTF-8 (else None)."""
    found = charset_terms(entries) if terms is None else terms
    return SIMPLE_CODECS.get(next(iter(found))) if len(found) == 1 else None


@functools.lru_cache(maxsize=256)
def _text_regex(values: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(re.escape(v) for v in values if v) or "(?!)", re.IGNORECASE)


_CONTROL: Final = re.compile(rb"[\x00-\x1f\x7f]")
#: every character of Python's text of an int or a float, lower-cased ("-1", "2.5e-07", "inf", "nan")
NUMBER_TEXT: Final = b"0123456789.-+einfa"
#: characters that pydicom's text of several values adds (``['A', 'B']``), and those ``repr`` escapes
_UNSAFE_IN_SEVERAL: Final = re.compile(r"""[\[\]'",\\\x00-\x1f\x7f]|^\s|\s$""")
#: the only non-ASCII characters that an ASCII letter matches case-insensitively (found by trying them all)
_FOLDS_TO_ASCII: Final = frozenset("\u0130\u0131\u017f\u212a")


def several_plain(value: bytes) -> bool:
    """Return whether raw ASCII text of several values holds no control character (``repr`` would escape it)."""
    return _CONTROL.search(value.rstrip(b"\x00 ")) is None


def unpacked(vr: str, raw: RawDataElement) -> tuple[int | float, ...] | None:
    """Return the numbers of an undecoded binary-number element, as pydicom unpacks them (None: not such)."""
    code, value = NUMBER_FORMATS.get(vr), raw.value
    if code is None or not isinstance(value, bytes) or len(value) % _SIZES[vr]:
        return None
    order = "<" if raw.is_little_endian else ">"
    return struct.unpack(f"{order}{len(value) // _SIZES[vr]}{code}", value)  # type: ignore[no-any-return]


def is_latin(text: str) -> bool:
    """Return whether every character of a text is in Latin-1 (U+0000 to U+00FF)."""
    return not text or max(text) <= "\xff"


def _latin_lowered(values: tuple[str, ...]) -> tuple[str, ...] | None:
    """Return a list's non-empty values lower-cased, if each is Latin-1 text (else None)."""
    if not all(is_latin(v) for v in values):
        return None
    return tuple(v.lower() for v in values if v)


def _can_match_ascii(value: str) -> bool:
    """Return whether a value could be found, case-insensitively, in ASCII text."""
    return all(ch.isascii() or ch in _FOLDS_TO_ASCII for ch in value)


@functools.lru_cache(maxsize=256)
def _needles(values: tuple[str, ...]) -> tuple[bytes, ...] | None:
    """Return a list's values that can match ASCII text as lower-case ASCII bytes (None: one is not ASCII)."""
    usable = [v for v in values if v and _can_match_ascii(v)]
    if not all(v.isascii() for v in usable):
        return None
    return tuple(sorted({v.encode("ascii").lower() for v in usable}))


def _several_safe(values: tuple[str, ...]) -> bool:
    """Return whether no value that can match ASCII text holds a character pydicom's text of several adds."""
    return not any(v and _can_match_ascii(v) and _UNSAFE_IN_SEVERAL.search(v) for v in values)


class ValuesTest:
    """The test of one ``values:`` list (its values as found in one file).

    Its regular expression is compiled only if some element needs it: a file's lists
    usually differ from the last file's, and most elements are rejected on their bytes.
    """

    __slots__ = ("all_needles", "codec", "latin", "needles", "several_ok", "several_raw", "strings", "_regex")

    def __init__(self, values: Sequence[object], ascii_text: bool, codec: str | None = None) -> None:
        """Prepare the list's values.

        ``ascii_text``: the dataset's character sets are ASCII-safe; ``codec``: its one
        character set's codec, when it is single-byte or UTF-8 (see :func:`text_codec`).
        """
        self.strings = tuple(str(v) for v in values)  #: the values' texts
        #: the values that can be found in ASCII text, as lower-case ASCII bytes: raw ASCII text
        #: holding one value is searched for them (None: every such value is not ASCII, decode instead)
        self.needles = _needles(self.strings) if ascii_text else None
        #: raw ASCII text holding several values is searched for the needles too (none holds a
        #: character that pydicom's text of several adds)
        self.several_raw = self.needles is not None and _several_safe(self.strings)
        #: every value is one of the needles (none can match only non-ASCII text)
        self.all_needles = self.needles is not None and all(not v or _can_match_ascii(v) for v in self.strings)
        self.codec = codec if ascii_text else None  #: decodes non-ASCII raw text as pydicom does
        #: no value can straddle two values in pydicom's text of several
        self.several_ok = not any(v and _UNSAFE_IN_SEVERAL.search(v) for v in self.strings)
        #: the values lower-cased, when every one is Latin-1 text (see :meth:`_in_text`; None: not all are)
        self.latin = _latin_lowered(self.strings)
        self._regex: re.Pattern[str] | None = None

    @property
    def regex(self) -> re.Pattern[str]:
        """Return the test on decoded text (compiled on first use)."""
        if self._regex is None:
            self._regex = _text_regex(self.strings)
        return self._regex

    def _found(self, value: bytes) -> bool:
        lowered = value.lower()  # the needles' case-insensitive search: ASCII letters only fold
        return any(needle in lowered for needle in self.needles)  # type: ignore[union-attr]

    def _in_text(self, text: str) -> bool:
        """Return whether pydicom's text of a value contains one of the list's values (:attr:`regex`'s test).

        ASCII text is searched for the needles (every value that can match it), which finds
        the same without compiling the file's regex; so is other text, when every value is a
        needle and the text holds none of the four characters an ASCII letter matches
        case-insensitively besides itself (:data:`_FOLDS_TO_ASCII`), in its UTF-8 bytes (where
        an ASCII needle can only match ASCII bytes). Latin-1 text, when every value is Latin-1
        too, is lower-cased and searched for the lower-cased values: within Latin-1, two
        characters match case-insensitively exactly when their lower cases are equal (each
        character's lower case is one Latin-1 character, and the characters ``re`` also
        matches, such as the micro sign's Greek mu, are outside Latin-1).
        """
        if self.needles is not None and (text.isascii() or (
                self.all_needles and _FOLDS_TO_ASCII.isdisjoint(text))):
            return self._found(text.encode("utf-8", "surrogatepass"))
        if self.latin is not None and is_latin(text):
            lowered = text.lower()
            return any(value in lowered for value in self.latin)
        return self.regex.search(text) is not None

    def matches(self, entry: Entry) -> bool:
        """Return whether the entry's value (or one of its values) contains one of the list's values."""
        vr = entry.vr
        if vr == "SQ":
            return False
        raw = entry.raw
        if raw is not None:
            found = self.raw_matches(vr, raw)
            if found is not None:
                return found
        return self._decoded(entry)

    def raw_matches(self, vr: str, raw: RawDataElement) -> bool | None:
        """Return whether an undecoded element matches, from its bytes (None: it must be decoded to tell)."""
        value = raw.value
        if not value:
            return False
        if vr in TEXT_VRS:
            if value.isascii():
                if b"\\" not in value:
                    if self.needles is not None and not self._found(value):
                        return False
                elif self.several_raw and not self._found(value) and several_plain(value):
                    return False
            elif self.codec is not None and vr in CHARSET_VRS and b"\x1b" not in value:
                try:
                    text = value.decode(self.codec)
                except UnicodeDecodeError:
                    return None
                if not self._in_text(text) and (
                        b"\\" not in value or (self.several_ok and text.rstrip("\x00 ").isprintable())):
                    return False  # one value is a piece of the text; several print without escapes
            return None
        if vr in BYTES_VRS:  # pydicom's value is these bytes as they are: its text is their repr
            return self._in_text(str(value))
        numbers = unpacked(vr, raw)
        if numbers is not None:  # pydicom gives several numbers as a plain list: each is tested alone
            return any(self._in_text(str(n)) for n in numbers)
        return None

    def _decoded(self, entry: Entry) -> bool:
        element = entry.element
        if element.VR == "SQ" or element.value is None:
            return False
        value = element.value
        if isinstance(value, list):  # a plain list (pydicom's multiple values are a MultiValue: one text)
            return any(self._in_text(str(v)) for v in value)
        return self._in_text(str(value))


def values_test(values: object, ascii_text: bool, codec: str | None = None) -> ValuesTest | None:
    """Return the test of a computed ``values:`` list, or None when it can match nothing."""
    if not isinstance(values, Sequence) or isinstance(values, str) or not values:
        return None
    return ValuesTest(values, ascii_text, codec)


__all__ = ["ASCII_SAFE_CHARSETS", "BYTES_VRS", "CHARSET_VRS", "NUMBER_FORMATS", "SIMPLE_CODECS", "TEXT_VRS",
           "NUMBER_TEXT", "ValuesTest", "is_latin", "several_plain", "unpacked",
           "ascii_safe", "charset_terms", "text_codec", "values_test"]
