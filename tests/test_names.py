"""Did-you-mean suggestions: the same as ``difflib.get_close_matches``, found with less work."""

from __future__ import annotations

import difflib

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydicom.datadict import keyword_dict

from deidc.compiler import names

KEYWORDS = sorted(keyword_dict)
SMALL = (names.SECTIONS, tuple(names.HEADER_ACTIONS), names.CRITERIA, ("ab", "AB", "ba", "abc", "b"))


def reference(word: str, vocabulary: list[str] | tuple[str, ...], n: int) -> tuple[str, ...]:
    by_lower: dict[str, str] = {}
    for v in vocabulary:
        by_lower.setdefault(v.lower(), v)
    return tuple(by_lower[m] for m in difflib.get_close_matches(word.lower(), list(by_lower), n=n, cutoff=0.6))


def typo(draw: st.DrawFn, word: str) -> str:
    letters = list(word)
    for _ in range(draw(st.integers(0, 4))):
        i = draw(st.integers(0, len(letters)))
        match draw(st.sampled_from(["delete", "insert", "change", "swap"])):
            case "delete" if letters:
                del letters[min(i, len(letters) - 1)]
            case "insert":
                letters.insert(i, draw(st.sampled_from("aeinrstAEIoU0123_")))
            case "change" if letters:
                letters[min(i, len(letters) - 1)] = draw(st.sampled_from("aeinrstAEIoU0123_"))
            case "swap" if len(letters) > 1:
                j = min(i, len(letters) - 2)
                letters[j], letters[j + 1] = letters[j + 1], letters[j]
    return "".join(letters)


@st.composite
def misspelt_keywords(draw: st.DrawFn) -> str:
    return typo(draw, draw(st.sampled_from(KEYWORDS)))


@pytest.mark.parametrize(("word", "expected"), [
    ("PatientsName", ("PatientName", "PatientState", "PatientSex")),
    ("jitter", ("Item",)),
    ("Manfacturer", ("Manufacturer", "IOLManufacturer", "SourceManufacturer")),
    ("Manufacture", ("Manufacturer", "IOLManufacturer", "DateOfManufacture")),
    ("x", ()),
])
def test_keyword_suggestions_for_the_misspellings_of_deids_default_recipe(word: str,
                                                                         expected: tuple[str, ...]) -> None:
    assert names.suggest_keyword(word) == expected == reference(word, KEYWORDS, 3)


@given(misspelt_keywords() | st.text(max_size=30), st.integers(1, 5))
def test_keyword_suggestions_are_difflibs(word: str, n: int) -> None:
    assert names._closest(word, names._keyword_vocabulary(), n) == reference(word, KEYWORDS, n)


@given(st.sampled_from(SMALL).flatmap(lambda v: st.tuples(st.just(v), st.sampled_from(v) | st.text(max_size=12))),
       st.integers(1, 4))
def test_suggestions_are_difflibs(case: tuple[tuple[str, ...], str], n: int) -> None:
    vocabulary, word = case
    assert names.suggest(word, vocabulary, n=n) == reference(word, vocabulary, n)


def test_suggestions_need_a_positive_count() -> None:
    with pytest.raises(ValueError, match="n must be > 0"):
        names.suggest("a", ["a"], n=0)



@given(st.lists(st.text("abcAé_", max_size=8), max_size=30), st.text("abbcé_z", max_size=10), st.integers(1, 4))
def test_suggestions_are_difflibs_among_many_ties(vocabulary: list[str], word: str, n: int) -> None:
    assert names.suggest(word, vocabulary, n=n) == reference(word, vocabulary, n)
