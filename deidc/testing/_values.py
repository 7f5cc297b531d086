"""Strategies for DICOM values that look like real header data, by VR and by keyword.

Person names, identifiers, dates and times, UIDs and free text that mentions a
patient: the values a de-identification recipe exists to remove. Every value is
valid for its VR (length and character set), so pydicom writes it as is.
"""

from __future__ import annotations

import datetime
import functools
import string
from typing import Final

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from pydicom.datadict import dictionary_VM, dictionary_VR, keyword_dict, tag_for_keyword
from pydicom.uid import generate_uid
from pydicom.valuerep import VR

from deidc.testing._words import keyword_list

_FAMILY: Final = ("Smith", "Nguyen", "Garcia", "Müller", "O'Brien", "Kowalski", "Tanaka", "Okafor", "Dubois",
                  "Johansson", "Rossi", "Haddad", "Cohen", "Ivanova", "Silva")
_GIVEN: Final = ("John", "Maria", "Wei", "Aisha", "Lars", "Fatima", "Jean-Luc", "Yuki", "Olga", "Pedro", "Priya",
                 "Ahmed", "Chloe", "Tomasz")
_PLACES: Final = ("St. Mary's Hospital", "Stanford Medicine", "Clinique du Parc", "Riverside Imaging Center",
                  "Karolinska Radiology", "Mercy General", "City Cancer Institute")
_STREETS: Final = ("12 Elm Street", "4 Rue de la Paix", "221B Baker Street", "77 Ocean Drive", "5 Hauptstrasse")
_CODES: Final = ("ORIGINAL", "PRIMARY", "SECONDARY", "DERIVED", "AXIAL", "LOCALIZER", "CT", "MR", "US", "CR", "M",
                 "F", "O", "YES", "NO", "HEAD", "CHEST")
_WORDS: Final = ("scan", "contrast", "chest", "brain", "follow-up", "urgent", "report", "lesion", "prior", "study",
                 "protocol", "axial", "dose", "left", "right", "normal")
#: a DICOM UID root for values made here (pydicom's, for test data)
UID_ROOT: Final = "1.2.826.0.1.3680043.8.498."
_MAX_LENGTH: Final[dict[str, int]] = {"AE": 16, "CS": 16, "SH": 16, "LO": 64, "ST": 1024, "LT": 10240, "UC": 256}


def person_names() -> st.SearchStrategy[str]:
    """Return a strategy for person names as DICOM writes them: ``Family^Given^Middle``."""
    middle = st.one_of(st.just(""), st.sampled_from(string.ascii_uppercase))
    return st.builds(lambda f, g, m: f"{f}^{g}^{m}" if m else f"{f}^{g}", st.sampled_from(_FAMILY),
                     st.sampled_from(_GIVEN), middle)


def identifiers(max_size: int = 16) -> st.SearchStrategy[str]:
    """Return a strategy for record numbers and accession numbers: ``MRN0048213``, ``A77812``."""
    prefix = st.sampled_from(("MRN", "A", "ACC", "PID", ""))
    return st.builds(lambda p, n: (p + str(n))[:max_size], prefix, st.integers(1000, 99_999_999))


def dates() -> st.SearchStrategy[str]:
    """Return a strategy for DA values: ``YYYYMMDD`` from 1920 to 2030."""
    return st.dates(datetime.date(1920, 1, 1), datetime.date(2030, 12, 31)).map(lambda d: d.strftime("%Y%m%d"))


def times() -> st.SearchStrategy[str]:
    """Return a strategy for TM values: ``HHMMSS`` or ``HHMMSS.FFFFFF``."""
    return st.builds(lambda t, frac: t.strftime("%H%M%S") + (f".{t.microsecond:06d}" if frac else ""),
                     st.times(), st.booleans())


def date_times() -> st.SearchStrategy[str]:
    """Return a strategy for DT values: ``YYYYMMDDHHMMSS``."""
    return st.datetimes(datetime.datetime(1920, 1, 1), datetime.datetime(2030, 12, 31)).map(
        lambda d: d.strftime("%Y%m%d%H%M%S"))


def uids() -> st.SearchStrategy[str]:
    """Return a strategy for valid UIDs: under pydicom's test root, or ``2.25.`` UUID-derived ones."""
    return st.one_of(
        st.integers(1, 10**20).map(lambda n: f"{UID_ROOT}{n}"),
        st.integers(0, 2**64).map(lambda n: str(generate_uid(entropy_srcs=[str(n)]))),
    )


def free_texts(max_size: int = 1024) -> st.SearchStrategy[str]:
    """Return a strategy for free text, often naming a patient, a place or a date."""
    words = st.lists(st.sampled_from(_WORDS), min_size=1, max_size=8).map(" ".join)
    note = st.builds(lambda n, p, d: f"Patient {n.replace('^', ' ')} seen at {p} on {d}.", person_names(),
                     st.sampled_from(_PLACES), dates())
    return st.one_of(words, note).map(lambda t: t[:max_size])


def _text(vr: str) -> st.SearchStrategy[str]:
    limit = _MAX_LENGTH.get(vr, 64)
    return st.one_of(st.sampled_from(_PLACES + _STREETS), st.lists(st.sampled_from(_WORDS), min_size=1, max_size=4)
                     .map(" ".join)).map(lambda t: t[:limit].rstrip())


def _numbers(vr: str) -> st.SearchStrategy[object]:
    bits = {"US": (0, 2**16 - 1), "SS": (-(2**15), 2**15 - 1), "UL": (0, 2**32 - 1), "SL": (-(2**31), 2**31 - 1),
            "UV": (0, 2**64 - 1), "SV": (-(2**63), 2**63 - 1)}
    if vr in bits:
        low, high = bits[vr]
        return st.integers(low, high)
    return st.floats(allow_nan=False, allow_infinity=False, width=32 if vr == "FL" else 64)


def _binary(vr: str) -> st.SearchStrategy[object]:
    unit = {"OB": 1, "UN": 1, "OW": 2, "OF": 4, "OL": 4, "OD": 8, "OV": 8}[vr]
    return st.integers(0, 8).flatmap(lambda n: st.binary(min_size=n * unit * 2, max_size=n * unit * 2))


@functools.cache
def _by_vr() -> dict[str, st.SearchStrategy[object]]:
    table: dict[str, st.SearchStrategy[object]] = {
        "PN": person_names(), "DA": dates(), "TM": times(), "DT": date_times(), "UI": uids(),
        "AE": st.builds(lambda n: f"STATION{n}", st.integers(1, 999)),
        "AS": st.builds(lambda n, u: f"{n:03d}{u}", st.integers(0, 120), st.sampled_from("DWMY")),
        "CS": st.sampled_from(_CODES), "IS": st.integers(-9999, 99999).map(str),
        "DS": st.integers(-99999, 99999).map(lambda n: f"{n / 100:g}"),
        "AT": st.integers(0, 0xFFFFFFFF), "UR": st.sampled_from(_WORDS).map(lambda w: f"http://example.org/{w}"),
        "LT": free_texts(), "ST": free_texts(), "UT": free_texts(), "UC": _text("UC"), "LO": _text("LO"),
        "SH": identifiers(16),
    }
    for vr in ("US", "SS", "UL", "SL", "UV", "SV", "FL", "FD"):
        table[vr] = _numbers(vr)
    for vr in ("OB", "OW", "OF", "OL", "OD", "OV", "UN"):
        table[vr] = _binary(vr)
    return table


def _check_vr(vr: object) -> str:
    names = [v.value for v in VR if " " not in v.value and v.value != "SQ"]
    if not isinstance(vr, str) or vr not in names:
        raise InvalidArgument(f"vr={vr!r} is not a value representation with values of its own; "
                              f"choose from {', '.join(names)}")
    return vr


def values_for(vr: str) -> st.SearchStrategy[object]:
    """Return a strategy for single values of a VR, as pydicom takes them (``str``, ``int``, ``float``, ``bytes``).

    Args:
        vr: a two-letter value representation other than ``SQ`` (sequences are made
            by :func:`deidc.testing.datasets`).

    Returns:
        The strategy: person names for ``PN``, ``YYYYMMDD`` dates for ``DA``, valid
        UIDs for ``UI``, patient-like free text for ``LT``/``ST``/``UT``...

    Raises:
        InvalidArgument: ``vr`` is not such a VR (raised at once).
    """
    return _by_vr()[_check_vr(vr)]


def first_vr(keyword: str) -> str:
    """Return the VR a keyword's element gets (the first of ``US or SS``-style choices)."""
    vr = str(dictionary_VR(keyword)).split(" ")[0]
    return "UN" if vr == "NONE" else vr


@functools.lru_cache(maxsize=1024)
def value_for_keyword(keyword: str) -> st.SearchStrategy[object]:
    """Return a strategy for a keyword's value: PHI-like by its meaning, several values when its VM allows."""
    vr = first_vr(keyword)
    if vr in ("LO", "SH") and keyword.endswith(("ID", "IDs", "Number", "Numbers")):
        one: st.SearchStrategy[object] = identifiers(16 if vr == "SH" else 64)
    elif vr == "LO" and "Name" in keyword:
        one = person_names()
    elif vr == "LO" and "Institution" in keyword:
        one = st.sampled_from(_PLACES)
    else:
        one = values_for(vr)
    multiple = str(dictionary_VM(keyword)) not in ("1", "") and vr not in ("LT", "ST", "UT", "UR") \
        and not vr.startswith("O") and vr != "UN"
    if not multiple:
        return one
    minimum = 2 if str(dictionary_VM(keyword)).startswith("2") else 1
    return st.one_of(one, st.lists(one, min_size=max(minimum, 2), max_size=3)) if minimum < 2 else \
        st.lists(one, min_size=minimum, max_size=3)


def keywords(*, vr: str | None = None) -> st.SearchStrategy[str]:
    """Return a strategy for keywords of pydicom's data dictionary, drawn from the sorted list.

    Args:
        vr: only keywords whose elements have this VR (e.g. ``"PN"``, ``"SQ"``).

    Raises:
        InvalidArgument: ``vr`` is given and no keyword has it (raised at once).
    """
    words = keyword_list() if vr is None else tuple(k for k in keyword_list() if first_vr(k) == vr)
    if not words:
        raise InvalidArgument(f"vr={vr!r}: no keyword of pydicom's dictionary has this VR")
    return st.sampled_from(words)


def tags(*, private: bool = False) -> st.SearchStrategy[int]:
    """Return a strategy for tags (as ints) of pydicom's dictionary, and private tags if asked.

    Args:
        private: also draw tags of odd groups (private creators and their elements).

    Raises:
        InvalidArgument: ``private`` is not a bool (raised at once).
    """
    if not isinstance(private, bool):
        raise InvalidArgument(f"private={private!r} must be True or False")
    public = st.sampled_from(tuple(sorted(int(keyword_dict[k]) for k in keyword_list())))
    if not private:
        return public
    odd = st.builds(lambda g, e: ((2 * g + 1) << 16) | e, st.integers(4, 0x7FFF), st.integers(0x10, 0xFFFF))
    return st.one_of(public, odd)


def is_keyword(word: object) -> bool:
    """Return whether ``word`` is a keyword of pydicom's dictionary."""
    return isinstance(word, str) and bool(word) and tag_for_keyword(word) is not None
