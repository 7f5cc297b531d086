"""deidc's default recipe removes every Basic Profile X/Z/D attribute's value (deidc.testing)."""

from __future__ import annotations

import json
from importlib import resources

import pytest
from pydicom.datadict import dictionary_VR, keyword_for_tag

from deidc.testing import assert_removes_phi


def basic_profile_keywords() -> list[str]:
    rows = json.loads((resources.files("deidc") / "data" / "ps3.15-table-e1-1.json").read_text(encoding="utf-8"))
    found = set()
    for row in rows:
        code = row.get("basicProfile", "")
        tag = row["tag"].strip("()").replace(",", "")
        if not any(letter in code for letter in "XZD") or "U" in code:
            continue
        if len(tag) != 8 or any(c not in "0123456789abcdefABCDEF" for c in tag):
            continue  # repeating groups and the private-attributes row
        keyword = keyword_for_tag(int(tag, 16))
        if keyword and dictionary_VR(keyword) not in ("OB", "OW", "OF", "OD", "OL", "OV", "UN"):
            found.add(keyword)
    return sorted(found)


KEYWORDS = basic_profile_keywords()
CHUNKS = [tuple(KEYWORDS[i:i + 40]) for i in range(0, len(KEYWORDS), 40)]


def test_the_profile_has_hundreds_of_xzd_attributes() -> None:
    assert len(KEYWORDS) > 300


@pytest.mark.parametrize("keywords", CHUNKS, ids=[f"{c[0]}..{c[-1]}" for c in CHUNKS])
def test_default_recipe_removes_every_basic_profile_value(keywords: tuple[str, ...]) -> None:
    assert_removes_phi("dicom", keywords=keywords, max_examples=5)
