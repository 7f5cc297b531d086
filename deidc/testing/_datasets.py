"""The ``datasets()`` strategy: pydicom ``Dataset`` objects shaped like real DICOM headers.

A drawn dataset has patient, study and series attributes with PHI-like values,
sequences whose items hold identifiers and UIDs (and the keywords asked for),
private blocks with their creators, and multi-valued elements.
"""

from __future__ import annotations

import difflib
import functools
import operator
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Final

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from deidc.testing._values import first_vr, is_keyword, uids, value_for_keyword, values_for
from deidc.testing._words import keyword_list

#: attributes most headers have, most of them identifying
HEADER_KEYWORDS: Final[tuple[str, ...]] = (
    "PatientName", "PatientID", "PatientBirthDate", "PatientSex", "PatientAge", "OtherPatientIDs",
    "OtherPatientNames", "PatientAddress", "PatientTelephoneNumbers", "ReferringPhysicianName",
    "PerformingPhysicianName", "OperatorsName", "InstitutionName", "InstitutionAddress", "StationName",
    "AccessionNumber", "StudyID", "StudyDate", "StudyTime", "SeriesDate", "SeriesTime", "AcquisitionDateTime",
    "ContentDate", "StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID", "FrameOfReferenceUID",
    "SOPClassUID", "StudyDescription", "SeriesDescription", "ImageComments", "AdditionalPatientHistory",
    "Modality", "ImageType", "Manufacturer", "Rows", "Columns", "SliceThickness", "InstanceNumber",
    "BurnedInAnnotation",
)
#: sequences that hold identifying items
SEQUENCE_KEYWORDS: Final[tuple[str, ...]] = (
    "OtherPatientIDsSequence", "ReferencedStudySequence", "ReferencedSeriesSequence", "ReferencedImageSequence",
    "ReferencedPatientSequence", "RequestAttributesSequence", "SourceImageSequence", "ProcedureCodeSequence",
)
#: attributes found inside those sequences' items
ITEM_KEYWORDS: Final[tuple[str, ...]] = (
    "ReferencedSOPClassUID", "ReferencedSOPInstanceUID", "PatientID", "IssuerOfPatientID", "TypeOfPatientID",
    "PatientName", "OtherPatientIDs", "StudyInstanceUID", "SeriesInstanceUID", "AccessionNumber",
    "RequestedProcedureID", "CodeValue", "CodingSchemeDesignator", "CodeMeaning", "ScheduledProcedureStepID",
    "RequestedProcedureDescription",
)
#: private creators seen in real files
CREATORS: Final[tuple[str, ...]] = (
    "ACME 1.0", "SIEMENS CSA HEADER", "GEMS_IDEN_01", "MITRA OBJECT UTF8 ATTRIBUTES 1.0", "PHILIPS MR IMAGING DD 001",
)
_PRIVATE_VRS: Final = ("LO", "SH", "PN", "DA", "UI", "DS", "UL", "OB")


@dataclass(frozen=True)
class _Shape:
    """The checked options of :func:`datasets`."""

    required: tuple[str, ...]
    private: bool
    sequences: tuple[str, ...]
    max_elements: int
    max_depth: int
    uid_default: st.SearchStrategy[str]
    uid_by_keyword: UidTable = ()
    likely: tuple[str, ...] = ()


def _check_keywords(value: object, argument: str) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Collection):
        raise InvalidArgument(f"{argument}={value!r} must be a collection of keywords, e.g. ['PatientName']")
    items = tuple(value)
    for word in items:
        if not is_keyword(word):
            close = difflib.get_close_matches(str(word), keyword_list(), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise InvalidArgument(f"{argument}: {word!r} is not a keyword of pydicom's dictionary{hint}")
    return tuple(dict.fromkeys(items))


def _check_count(value: object, argument: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidArgument(f"{argument}={value!r} must be a non-negative integer")
    return value


UidValues = st.SearchStrategy[str] | Mapping[str, st.SearchStrategy[str]]


UidTable = tuple[tuple[str, st.SearchStrategy[str]], ...]


def _check_uids(uid_values: UidValues | None) -> tuple[st.SearchStrategy[str], UidTable]:
    if uid_values is None:
        return uids(), ()
    if isinstance(uid_values, st.SearchStrategy):
        return uid_values, ()
    if not isinstance(uid_values, Mapping):
        raise InvalidArgument(f"uids={uid_values!r} must be a strategy for UID strings, or a mapping from "
                              "keywords to such strategies")
    _check_keywords(tuple(uid_values), "uids")
    if not all(isinstance(v, st.SearchStrategy) for v in uid_values.values()):
        raise InvalidArgument("uids: every value of the mapping must be a strategy for UID strings")
    return uids(), tuple(sorted(uid_values.items()))


def _check(keywords: Collection[str], private: bool, sequences: bool | Collection[str], max_elements: int,
           max_depth: int, uid_values: UidValues | None, likely: Collection[str]) -> _Shape:
    required = _check_keywords(keywords, "keywords")
    if not isinstance(private, bool):
        raise InvalidArgument(f"private={private!r} must be True or False")
    if isinstance(sequences, bool):
        chosen = SEQUENCE_KEYWORDS if sequences else ()
    else:
        chosen = _check_keywords(sequences, "sequences")
        wrong = [k for k in chosen if first_vr(k) != "SQ"]
        if wrong:
            raise InvalidArgument(f"sequences: {wrong!r} are not sequence keywords")
    default, by_keyword = _check_uids(uid_values)
    return _Shape(required, private, chosen, _check_count(max_elements, "max_elements"),
                  _check_count(max_depth, "max_depth"), default, by_keyword, _check_keywords(likely, "likely"))


def _value(shape: _Shape, keyword: str) -> st.SearchStrategy[object]:
    if first_vr(keyword) == "UI":
        return dict(shape.uid_by_keyword).get(keyword, shape.uid_default)
    return value_for_keyword(keyword)


def _put(dataset: Dataset, keyword: str, value: object) -> None:
    setattr(dataset, keyword, value)


@dataclass(frozen=True)
class _Choices:
    """The list strategies of one shape, built once (building a strategy costs more than drawing from it)."""

    top: st.SearchStrategy[list[str]]  #: attributes besides the required ones
    item: st.SearchStrategy[list[str]]  #: attributes of one item
    sequences: st.SearchStrategy[list[str]]  #: top-level sequences
    blocks: st.SearchStrategy[list[_Block]]  #: top-level private blocks


@functools.lru_cache(maxsize=64)
def _choices(shape: _Shape) -> _Choices:
    top = st.lists(st.sampled_from(HEADER_KEYWORDS), max_size=shape.max_elements)
    item = st.lists(st.sampled_from(ITEM_KEYWORDS), max_size=3)
    in_items = tuple(k for k in shape.likely if first_vr(k) != "SQ")
    if shape.likely:
        top = st.builds(operator.add, top, st.lists(st.sampled_from(shape.likely), max_size=8))
    if in_items:
        item = st.builds(operator.add, item, st.lists(st.sampled_from(in_items), max_size=2))
    sequences = st.lists(st.sampled_from(shape.sequences), max_size=2) if shape.sequences else st.just([])
    blocks = st.lists(_private_block(), max_size=2, unique_by=lambda b: (b[0], b[1]))
    return _Choices(top, item, sequences, blocks)


@st.composite
def _item(draw: st.DrawFn, shape: _Shape, depth: int) -> Dataset:
    """Draw one sequence item: identifiers, UIDs, the keywords asked for, maybe a deeper sequence.

    Every choice shrinks towards less: no keyword asked for, no deeper sequence, no private block.
    """
    item = Dataset()
    asked = [k for k in shape.required if first_vr(k) != "SQ" and draw(st.booleans())]
    for keyword in sorted({*asked, *draw(_choices(shape).item)}):
        _put(item, keyword, draw(_value(shape, keyword)))
    if depth < shape.max_depth and shape.sequences and draw(st.booleans()):
        keyword = draw(st.sampled_from(shape.sequences))
        _put(item, keyword, draw(_sequence(shape, depth + 1)))
    if shape.private and draw(st.integers(0, 3)) == 3:
        _add_private(item, draw(_private_block()))
    return item


@functools.lru_cache(maxsize=64)
def _sequence(shape: _Shape, depth: int) -> st.SearchStrategy[Sequence]:
    return st.lists(_item(shape, depth), min_size=1, max_size=3).map(Sequence)


_Block = tuple[int, str, list[tuple[int, str, object]]]


@functools.cache
def _private_block() -> st.SearchStrategy[_Block]:
    element = st.one_of([st.tuples(st.integers(0x00, 0xFF), st.just(vr), values_for(vr)) for vr in _PRIVATE_VRS])
    return st.tuples(st.integers(4, 0x7FFF).map(lambda g: 2 * g + 1), st.sampled_from(CREATORS),
                     st.lists(element, min_size=1, max_size=3, unique_by=lambda e: e[0]))


def _add_private(dataset: Dataset, block: _Block) -> None:
    group, creator, elements = block
    private = dataset.private_block(group, creator, create=True)
    for offset, vr, value in elements:
        private.add_new(offset, vr, value)


@st.composite
def _dataset(draw: st.DrawFn, shape: _Shape) -> Dataset:
    dataset = Dataset()
    choices = _choices(shape)
    for keyword in sorted({*shape.required, *draw(choices.top)}):
        if first_vr(keyword) == "SQ":
            _put(dataset, keyword, draw(_sequence(shape, 1)))
        else:
            _put(dataset, keyword, draw(_value(shape, keyword)))
    if shape.max_depth:
        for keyword in sorted(set(draw(choices.sequences))):
            _put(dataset, keyword, draw(_sequence(shape, 1)))
    if shape.private:
        for block in draw(choices.blocks):
            _add_private(dataset, block)
    return dataset


def datasets(*, keywords: Collection[str] = (), private: bool = True, sequences: bool | Collection[str] = True,
             max_elements: int = 10, max_depth: int = 2,
             uids: UidValues | None = None, likely: Collection[str] = ()) -> st.SearchStrategy[Dataset]:
    """Return a strategy for pydicom datasets that look like real DICOM headers.

    A dataset has some of :data:`HEADER_KEYWORDS` (patient, study and series
    attributes with PHI-like values: person names, record numbers, dates, UIDs, free
    text), sequences whose items hold identifiers, UIDs and the ``keywords`` asked
    for, private blocks with their creators, and multi-valued elements where the
    dictionary allows several values. Datasets have no file meta and no pixel data.

    Args:
        keywords: attributes every dataset has at the top level (a sequence keyword
            gets items); the non-sequence ones are also drawn inside sequence items.
        private: whether to add private blocks (at the top level and in items).
        sequences: whether to add sequences, or which sequence keywords to use.
        max_elements: the most attributes drawn besides ``keywords``, at the top level.
        max_depth: how deep sequences nest (0: no sequences).
        uids: a strategy for the values of UI elements (e.g. ``st.sampled_from(pool)``
            so that datasets share UIDs), or a mapping from UI keywords to such
            strategies (the others get valid UIDs); valid UIDs by default.
        likely: attributes drawn often (up to eight at the top level, two per item),
            e.g. those a recipe names, so that a search meets them.

    Returns:
        The strategy.

    Raises:
        InvalidArgument: an option is invalid, e.g. a keyword pydicom does not know
            (raised at once).
    """
    return _dataset(_check(keywords, private, sequences, max_elements, max_depth, uids, likely))
