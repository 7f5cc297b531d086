"""The header actions as pure decisions: (step, element) → :data:`Edit`.

An action never changes a dataset: it returns what should happen to one element
(keep it, remove it, or give it a value) and :mod:`deidc.runtime.engine` carries
that out. ``ACTIONS`` maps each :class:`~deidc.plan.ActionKind` to its function.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Final, Union

from pydicom import config
from pydicom.charset import default_encoding
from pydicom.datadict import dictionary_has_tag, dictionary_VR
from pydicom.dataelem import DataElement, RawDataElement
from pydicom.dataset import Dataset
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_data_element
from pydicom.multival import MultiValue
from pydicom.tag import BaseTag
from pydicom.valuerep import PersonName, validate_value

from deidc.plan import ActionKind, Selector, SelectPrivate, SelectTag, Step, ValueDeidFunc
from deidc.runtime.dates import NotADate, shift
from deidc.runtime.rawseq import LONG_LENGTH_VRS, UNDEFINED_LENGTH, Tree, new_raw
from deidc.runtime.values import ValueProblem, resolve
from deidc.runtime.walk import Entry


@dataclass(frozen=True, slots=True)
class Keep:
    """Leave the element as it is."""


@dataclass(frozen=True, slots=True)
class Remove:
    """Delete the element (and, for a sequence, everything in it)."""


@dataclass(frozen=True, slots=True)
class SetValue:
    """Give the element a new value (None: blank)."""

    value: object  #: the new value, in the Python type pydicom wants


Edit = Union[Keep, Remove, SetValue]
_KEEP: Final = Keep()
_REMOVE: Final = Remove()
_BLANK: Final = SetValue(None)
_DATE_VRS: Final = ("DA", "DT")
ActionFn = Callable[[Step, Entry, Dataset, MutableMapping[str, object], object], Edit]


def _value(step: Step, entry: Entry, dataset: Dataset, lookup: MutableMapping[str, object], field: object,
           vr: str | None = None) -> object:
    assert step.value is not None
    # only a deid_func: gets the current value: otherwise leave a raw element unread
    current = entry.element.value if isinstance(step.value, ValueDeidFunc) else None
    return resolve(step.value, vr=entry.vr if vr is None else vr, current=current, name=entry.nested_name,
                   lookup=lookup, dataset=dataset, field=field)


def _replace(step: Step, entry: Entry, dataset: Dataset, lookup: MutableMapping[str, object], field: object) -> Edit:
    if entry.vr == "SQ":
        return _KEEP  # a sequence's items are matched one by one; a text cannot become a sequence
    value = _value(step, entry, dataset, lookup, field)
    return _KEEP if value is None else SetValue(value)


def _blank(step: Step, entry: Entry, dataset: Dataset, lookup: MutableMapping[str, object], field: object) -> Edit:
    return SetValue([]) if entry.vr == "SQ" else _BLANK


def _dates(entry: Entry) -> tuple[str, list[str]] | None:
    """Return a DA or DT element's VR and its values' texts as pydicom gives them (None: empty, or not a date).

    An element not decoded yet is read from its bytes, as pydicom decodes them when it does
    not convert dates (:data:`pydicom.config.datetime_conversion`): no element is made.
    """
    raw = entry.raw
    if raw is not None and raw.VR in _DATE_VRS and not config.datetime_conversion and isinstance(raw.value, bytes):
        values = raw.value.decode(default_encoding).rstrip(" \x00").split("\\")
        return (raw.VR, values) if len(values) > 1 or values[0] else None
    element = entry.element
    if not element.value or element.VR not in _DATE_VRS:
        return None
    return element.VR, [str(v) for v in element.value] if element.VM > 1 else [str(element.value)]


def _jitter(step: Step, entry: Entry, dataset: Dataset, lookup: MutableMapping[str, object], field: object) -> Edit:
    dates = _dates(entry)
    if dates is None:
        return _KEEP
    amount = _value(step, entry, dataset, lookup, field, vr="")
    if amount is None:
        return _KEEP
    try:
        days = int(str(amount))
    except ValueError as error:
        raise ValueProblem(f"JITTER needs a whole number of days, got {amount!r}") from error
    vr, values = dates
    try:
        moved = [shift(v, vr, days) for v in values]
    except NotADate as error:
        raise ValueProblem(f"JITTER cannot read the date: {error}") from error
    return SetValue("\\".join(moved))


def _remove(step: Step, entry: Entry, dataset: Dataset, lookup: MutableMapping[str, object], field: object) -> Edit:
    if step.value is not None and not _value(step, entry, dataset, lookup, field):
        return _KEEP
    return _REMOVE


def _keep(step: Step, entry: Entry, dataset: Dataset, lookup: MutableMapping[str, object], field: object) -> Edit:
    return _KEEP


ACTIONS: Final[Mapping[ActionKind, ActionFn]] = {
    ActionKind.REPLACE: _replace,
    ActionKind.BLANK: _blank,
    ActionKind.JITTER: _jitter,
    ActionKind.REMOVE: _remove,
    ActionKind.KEEP: _keep,
}


def decide(step: Step, entry: Entry, dataset: Dataset, lookup: MutableMapping[str, object], field: object) -> Edit:
    """Return what ``step`` does to one element."""
    return ACTIONS[step.action](step, entry, dataset, lookup, field)


def set_value(entry: Entry, edit: SetValue, encodings: Charset | None = None) -> tuple[Tree | None, object]:
    """Give an element the value of an edit (the runtime's only write of a value); return ``(tree, new value)``.

    An element still in its raw, unread form is replaced by a new element: its old
    value is never decoded. ``tree``: the tree whose bytes will hold the new element, when
    the element is in a sequence item still read as bytes (see :meth:`Entry.put`); the
    new value is the one pydicom's element holds. ``encodings`` (for a dataset that is
    written and dropped, the character set its new values are written in, see
    :func:`charset_key`): a new ASCII text value is put in as the raw bytes pydicom writes
    for it (:func:`encoded`), read or not, so no element is made or converted for it.
    """
    if encodings is not None and entry.vr not in ("SQ", "UN"):  # read or not: the dataset is written and dropped
        found = encoded_raw(entry.tag, entry.vr, edit.value, encodings)
        if found is not None:
            raw, value = found
            return entry.put(raw), value
    if (entry.is_raw or entry.detached) and entry.vr not in ("SQ", "UN"):
        element = make_element(entry.tag, entry.vr, edit.value)
        return entry.put(element), element.value
    if entry.vr == "SQ" and edit.value == [] and entry.is_raw and entry.raw is not None:
        # blanked: an empty sequence, written as pydicom writes the emptied one, without reading its items
        element = DataElement(entry.tag, "SQ", [])
        element.is_undefined_length = entry.raw.length == UNDEFINED_LENGTH
        return entry.put(element), element.value
    entry.element.value = edit.value
    return None, entry.element.value


#: a character set as a dictionary key: the value of Specific Character Set (a text, or a tuple of them)
Charset = Union[str, tuple[str, ...]]


def charset_key(value: object) -> Charset | None:
    """Return a Specific Character Set's value as a key for :func:`encoded` (None: not a usable value)."""
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple, MultiValue)) and all(isinstance(part, str) for part in value):
        return tuple(value)
    return None


#: VRs whose one text value pydicom writes as its characters, padded to an even length (numbers as text are not:
#: pydicom may write another text for them)
_PLAIN_TEXT: Final = frozenset({"AE", "AS", "CS", "DA", "DT", "LO", "LT", "PN", "SH", "ST", "TM", "UC", "UI", "UR",
                                "UT"})
#: new values as pydicom writes them, by (VR, value, character set): (the bytes, the value pydicom's element holds)
_ENCODED: dict[tuple[str, object, Charset], tuple[bytes, object] | None] = {}
#: VRs whose element holds a text as it is, when pydicom does not convert dates and times
_TIMES: Final = frozenset({"DA", "DT", "TM"})
_ENCODED_MAX: Final = 4096


def encoded_raw(tag: int, vr: str, value: object, encodings: Charset) -> tuple[RawDataElement, object] | None:
    """Return the raw element holding a new value as pydicom writes it, and the value it holds (see :func:`encoded`)."""
    found = encoded(vr, value, encodings)
    if found is None:
        return None
    data, held = found
    return new_raw(RawDataElement, (BaseTag(tag), vr, len(data), data, 0, False, True, True, False)), held


def blank_raw(tag: int, vr: str, encodings: Charset) -> tuple[RawDataElement, object] | None:
    """Return :func:`encoded_raw` of a blank (None), made once per tag, VR and character set (bounded)."""
    key = (tag, vr, encodings)
    if key not in _BLANKS:
        if len(_BLANKS) >= 4096:
            _BLANKS.clear()
        _BLANKS[key] = encoded_raw(tag, vr, None, encodings)  # a raw element is a tuple: elements may share it
    return _BLANKS[key]


_BLANKS: dict[tuple[int, str, Charset], tuple[RawDataElement, object] | None] = {}


def encoded(vr: str, value: object, encodings: Charset) -> tuple[bytes, object] | None:
    """Return the bytes of a new value as pydicom writes it (explicit VR little endian) and the value it holds.

    Only for an ASCII text (or a blank, None) that passes pydicom's validation, whose bytes
    are ASCII (then the same in every character set DICOM allows, so wherever the element
    is), and whose element holds one value of an immutable type; anything else gives None
    and goes through a new pydicom element, with pydicom's warnings. The answer for each
    (VR, value, character set) is kept (bounded).
    """
    if value is not None and not (isinstance(value, str) and value.isascii()):
        return None  # (ISO 2022 encodes other text as ASCII bytes too, with escape sequences)
    key = (vr, value, encodings)
    if key in _ENCODED:
        return _ENCODED[key]
    found: tuple[bytes, object] | None = None
    if vr in _TIMES and value and not config.datetime_conversion and "\\" not in value:  # (JITTER's, say)
        # one date or time, which an element holds as the text itself: pydicom's validation alone, not an element
        try:
            validate_value(vr, value, config.RAISE)
        except ValueError:
            pass  # not valid: a new element will warn (or raise) as pydicom's settings say
        else:
            data = value.encode("ascii")  # type: ignore[union-attr]
            found = (data + b" " if len(data) % 2 else data, value)
        return _kept(key, found)
    try:
        element = DataElement(0x00100010, vr, value, validation_mode=config.RAISE)  # the tag plays no part here
    except ValueError:
        element = None  # not valid: a new element will warn (or raise) as pydicom's settings say
    if element is not None and not isinstance(element.value, (list, MultiValue, bytearray)):
        held = element.value
        if vr in _PLAIN_TEXT and (held is None or isinstance(held, (str, PersonName))):
            # one text, which pydicom's writer encodes and pads (with NUL for UI): no writer needed
            data = str(held).encode("ascii") if held is not None else b""
            if len(data) % 2:
                data += b"\x00" if vr == "UI" else b" "
        else:
            buffer = DicomBytesIO()
            buffer.is_little_endian, buffer.is_implicit_VR = True, False
            write_data_element(buffer, element, list(encodings) if isinstance(encodings, tuple) else encodings)
            data = buffer.getvalue()[12 if vr in LONG_LENGTH_VRS else 8:]
        if data.isascii():
            found = (data, held)
    return _kept(key, found)


def _kept(key: tuple[str, object, Charset], found: tuple[bytes, object] | None) -> tuple[bytes, object] | None:
    """Keep an answer of :func:`encoded` (the kept answers are forgotten when there are too many)."""
    if len(_ENCODED) >= _ENCODED_MAX:
        _ENCODED.clear()
    _ENCODED[key] = found
    return found


def dictionary_vr(tag: int) -> str:
    """Return the dictionary VR of a tag (the first one when the dictionary gives a choice), or ST."""
    if not dictionary_has_tag(tag):
        return "ST"
    return str(dictionary_VR(tag))[:2]


def add_target(selector: Selector, dataset: Dataset) -> tuple[int, str] | None:
    """Return the tag and VR an ADD creates (reserving a private block if it names a creator)."""
    if isinstance(selector, SelectTag):
        return selector.tag, dictionary_vr(selector.tag)
    if isinstance(selector, SelectPrivate):
        block = dataset.private_block(selector.group, selector.creator, create=True)
        return int(block.get_tag(selector.offset)), "LO"
    return None


def add_value(step: Step, existing: Entry | None, vr: str, dataset: Dataset, lookup: MutableMapping[str, object],
              tag: int) -> object:
    """Return the value an ADD writes (None: nothing to write)."""
    assert step.value is not None
    if existing is not None:
        vr = existing.element.VR
        current = existing.element.value
    else:
        current = None
    keyword = getattr(step.selector, "keyword", "") or f"{tag:08X}"
    return resolve(step.value, vr=vr, current=current, name=keyword, lookup=lookup, dataset=dataset, field=keyword)


def new_element(tag: int, vr: str, value: object) -> DataElement:
    """Return a new element for ADD."""
    return make_element(tag, vr, value)


#: (VR, text) pairs that pydicom's validation has passed: a batch writes the same few values again and again
_VALID: set[tuple[str, str]] = set()
_VALID_MAX: Final = 4096


def make_element(tag: int, vr: str, value: object) -> DataElement:
    """Return a new element, its value validated as pydicom validates it, but each text only once.

    A text that passed for a VR is not validated again (a valid value gives no warning
    and raises nothing, whatever pydicom's validation mode); any other value is
    validated as usual, so it warns or raises as pydicom's settings say.
    """
    mode = config.settings.reading_validation_mode
    if not isinstance(value, str):
        return DataElement(tag, vr, value)
    key = (vr, value)
    if key in _VALID:
        element = DataElement(tag, vr, value, validation_mode=config.IGNORE)
    else:
        try:
            element = DataElement(tag, vr, value, validation_mode=config.RAISE)
        except ValueError:  # not valid: as pydicom's settings say (a warning by default)
            return DataElement(tag, vr, value)
        if len(_VALID) >= _VALID_MAX:
            _VALID.clear()
        _VALID.add(key)
    element.validation_mode = mode  # later values are validated as pydicom's settings say
    return element
