"""Expanders (startswith:, endswith:, contains:, except:) decide as deid's regex search does, found faster.

A batch decides each element identity once, searching every pattern selector in the
element's texts (nested name, tag forms, description, keyword, private forms). The
runtime searches lower-cased text case-sensitively, and all texts at once, where that
finds exactly what searching each text with the case-insensitive regex finds; these
tests compare the two on generated patterns and texts. The description is pydicom's
``DataElement.name``, computed without decoding the element.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pydicom
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deidc.plan import PatternKind, SelectPattern
from deidc.runtime.patterns import compile_pattern, description, pattern_found, search_patterns

TEST_FILES = Path(pydicom.__file__).parent / "data" / "test_files"

_ATOMS = [
    "Name", "ID", "patient", "Sequence", "UID", "0010", "(0010", ",", '"', "_", " ", "[A-z]", "[^x]", "[a-f0-9]",
    ".", "\\d", "\\w", "\\s", "\\b", "\\.", "\\(", "(?=a)", "(?!e)", "(?<=_)", "(?<!\\s)", "\\A", "\\Z", "(?i)",
    "^", "$", "\\n", "K", "s",
]
_QUANTIFIERS = ["", "", "", "*", "+", "?", "{1,2}", "*+", "?+"]


@st.composite
def patterns(draw: st.DrawFn) -> str:
    """A regex built from pieces that stress the fast paths: anchors, classes, escapes, lookarounds, possessives."""
    branches = []
    for _ in range(draw(st.integers(1, 3))):
        pieces = []
        for _ in range(draw(st.integers(1, 4))):
            atom = draw(st.sampled_from(_ATOMS))
            quantifier = draw(st.sampled_from(_QUANTIFIERS))
            if quantifier and atom in ("^", "$", "\\b", "\\A", "\\Z", "(?i)") or atom.startswith("(?"):
                quantifier = ""  # nothing to repeat
            pieces.append(atom + quantifier)
        branches.append("".join(pieces))
    pattern = "|".join(branches)
    if "(?i)" in pattern:
        pattern = "(?i)" + pattern.replace("(?i)", "")  # a global flag must come first
    return pattern


_TEXT = st.text(alphabet=st.sampled_from(list("abcxyzNAMEid_0123456789(),\" .é\u017f\u212aKs\n")), max_size=12)
_KINDS = st.sampled_from([PatternKind.STARTSWITH, PatternKind.ENDSWITH, PatternKind.CONTAINS, PatternKind.EXCEPT])


def _naive(texts: list[str], selectors: list[tuple[int, SelectPattern]]) -> list[int]:
    """deid's way: each text searched with the case-insensitive regex."""
    found = []
    for number, selector in selectors:
        regex = compile_pattern(selector.kind, selector.pattern)
        hit = any(regex.search(text) for text in texts)
        if hit is not (selector.kind is PatternKind.EXCEPT):
            found.append(number)
    return found


def _valid(kind: PatternKind, pattern: str) -> bool:
    try:
        re.compile(compile_pattern(kind, pattern).pattern)
    except re.error:
        return False
    return True


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(_KINDS, patterns()), min_size=1, max_size=4), st.lists(_TEXT, min_size=1, max_size=7))
def test_the_fast_search_finds_what_searching_each_text_finds(chosen: list[tuple[PatternKind, str]],
                                                             texts: list[str]) -> None:
    selectors = [(n, SelectPattern(kind, pattern)) for n, (kind, pattern) in enumerate(chosen) if _valid(kind, pattern)]
    assert search_patterns(texts, selectors) == _naive(texts, selectors)
    joined = "\n".join(texts) if not any("\n" in t for t in texts) else None
    for number, selector in selectors:
        selected = bool(_naive(texts, [(number, selector)]))
        found = pattern_found(selector.kind, selector.pattern, texts, joined)
        assert found is (selected is not (selector.kind is PatternKind.EXCEPT))


#: words and near-words, so that patterns made of them often match texts made of them
_PIECES = ["Name", "patient", "ID", "uid", "0010", "seq_1", "Study", "Date"]
_NEAR = ["Study(ID|Date)", "Na.e", "I(D)", "(ID)", "ID|", "Name_?"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_KINDS, st.one_of(st.lists(st.sampled_from(_PIECES), min_size=1, max_size=6).map("|".join),
                                            st.sampled_from(_NEAR))), min_size=1, max_size=4),
       st.lists(st.lists(st.sampled_from([*_PIECES, "x", "_", " ", "(", "é", "NAME", "studyid"]), max_size=5).map(
           "".join), min_size=1, max_size=6))
def test_patterns_of_words_find_what_searching_each_text_finds(chosen: list[tuple[PatternKind, str]],
                                                                texts: list[str]) -> None:
    """Patterns of words are searched with ``in`` (at a text's start, for startswith:): texts made of the words."""
    selectors = [(n, SelectPattern(kind, pattern)) for n, (kind, pattern) in enumerate(chosen)]
    assert search_patterns(texts, selectors) == _naive(texts, selectors)


@pytest.mark.parametrize(("kind", "pattern", "texts", "expected"), [
    (PatternKind.CONTAINS, "Name[^x]*UID", ["patientname", "x uid"], False),  # would match across the joined texts
    (PatternKind.CONTAINS, "Name.*UID", ["patientname", "x uid"], False),
    (PatternKind.STARTSWITH, "uid", ["patientname", "UIDs"], True),  # ^ at the start of a later text
    (PatternKind.ENDSWITH, "name", ["PatientName", "(0010,0010)"], True),  # $ at the end of an earlier text
    (PatternKind.CONTAINS, "(?<!_)Name", ["x", "_Name"], False),  # a lookbehind at a text's start
    (PatternKind.CONTAINS, "(?<!\\s)Name", ["x", "Name"], True),  # nothing before it, not the newline joining them
    (PatternKind.CONTAINS, "Name(?!\\s)", ["Name", "x"], True),
    (PatternKind.CONTAINS, "a[^_]*+$", ["ab", "_x"], True),  # a possessive quantifier would run into the next text
    (PatternKind.STARTSWITH, "b", ["a\nb"], False),  # a text holding a newline: ^ only at its start
    (PatternKind.CONTAINS, "s", ["\u017f"], True),  # long s: the same letter to re.IGNORECASE, not to str.lower
    (PatternKind.CONTAINS, "\\AName", ["x", "Name"], True),  # \A: the start of each text
    (PatternKind.CONTAINS, "[A-z]_", ["x", "__"], True),  # a class that lower-casing would change ("_" is in A-z)
    (PatternKind.EXCEPT, "Patient|Study", ["StudyDate", "(0008,0020)"], False),
    (PatternKind.CONTAINS, "kelvin", ["\u212aelvin"], True),  # not ASCII: the case-insensitive regex decides
])
def test_hard_cases_are_decided_as_deid_decides_them(kind: PatternKind, pattern: str, texts: list[str],
                                                     expected: bool) -> None:
    selectors = [(7, SelectPattern(kind, pattern))]
    assert (search_patterns(texts, selectors) == [7]) is expected
    assert _naive(texts, selectors) == search_patterns(texts, selectors)
    joined = "\n".join(texts) if not any("\n" in t for t in texts) else None
    assert pattern_found(kind, pattern, texts, joined) is (expected is not (kind is PatternKind.EXCEPT))


def _named(dataset: pydicom.Dataset) -> list[tuple[int, str | None, str]]:
    found = []
    for element in dataset:
        creator = element.private_creator if element.tag.is_private else None
        if creator is None or isinstance(creator, str):
            found.append((int(element.tag), creator, element.name))
        if element.VR == "SQ":
            for item in element.value or []:
                found += _named(item)
    return found


def test_the_description_is_pydicoms_element_name_on_every_bundled_file() -> None:
    checked = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for path in sorted(TEST_FILES.rglob("*.dcm")):
            try:
                dataset = pydicom.dcmread(path, force=True)
                named = _named(dataset)
            except Exception:  # noqa: BLE001, S112 - a file pydicom cannot read or decode: nothing to compare
                continue
            for tag, creator, name in named:
                assert description(tag, creator) == name, (path.name, hex(tag), creator)
                checked += 1
    assert checked > 5000


def test_a_private_element_inside_a_sequence_is_named_from_its_creator_in_a_batch_too() -> None:
    """The name comes from the private dictionary wherever the element is, also in items still read as bytes."""
    from deidc.compiler import compile_recipe
    from deidc.runtime import execute

    item = pydicom.Dataset()
    item.add_new(0x00190010, "LO", "GEMS_ACQU_01")
    item.add_new(0x0019100F, "DS", "1.5")  # [Horiz. Frame of ref.] in pydicom's private dictionary
    dataset = pydicom.Dataset()
    dataset.PatientName = "Doe^Jane"
    dataset.ReferencedImageSequence = [item]
    import io

    out = io.BytesIO()
    dataset.save_as(out, implicit_vr=False, little_endian=True)
    plan = compile_recipe("FORMAT dicom\n%header\nREMOVE contains:Horiz\n", path="<horiz>").plan
    for reuse_raw in (False, True):
        read = pydicom.dcmread(io.BytesIO(out.getvalue()), force=True)
        changes = execute(plan, read, {}, reuse_raw=reuse_raw).changes
        assert [(c.uid, c.action) for c in changes] == [("(0008,1140)__0__(0019,100F)", "REMOVE")]
