"""Generate deidc's default recipe from DICOM PS3.15 Table E.1-1 (the Basic Profile column).

Input: ``deidc/data/ps3.15-table-e1-1.json``, the rows of the Application Level
Confidentiality Profile table. Output: ``deidc/data/recipes/deid.dicom``, one header
action per Basic Profile attribute, in tag order. The mapping from the table's action
codes to recipe actions is described in ``docs/default-recipe.md``.

Run from the repository root::

    python tools/make_default_recipe.py            # rewrite the recipe
    python tools/make_default_recipe.py --check    # exit 1 if the recipe is out of date

Only the standard library and pydicom are used, so the output depends on the table and
on pydicom's data dictionary (keywords and VRs) and on nothing else.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from pydicom.datadict import dictionary_VR, keyword_for_tag

ROOT: Final = Path(__file__).resolve().parent.parent
TABLE: Final = ROOT / "deidc" / "data" / "ps3.15-table-e1-1.json"
OUTPUT: Final = ROOT / "deidc" / "data" / "recipes" / "deid.dicom"

#: where the table comes from (see deidc/data/README.md)
EDITION: Final = "2024b"
SOURCE: Final = "innolitics/dicom-standard, standard/confidentiality_profile_attributes.json"

#: the value every U attribute gets: a UID derived from the old one (same input, same output)
UID_VALUE: Final = "deid_func:pydicom_uuid stable_remapping=true"
#: the value of De-identification Method (0012,0063), LO: at most 64 characters
METHOD: Final = f"deidc PS3.15 {EDITION} Basic Application Confidentiality Profile"

_TEXT_DUMMY: Final = "ANONYMOUS"
_BINARY_DUMMY: Final = "00000000"  # eight bytes: even length, as OB/UN values must be
#: a non-empty dummy value valid for each VR (D); UI and SQ are handled by the rules instead
DUMMIES: Final[Mapping[str, str]] = {
    "AE": _TEXT_DUMMY, "AS": "000Y", "CS": _TEXT_DUMMY, "DA": "19000101", "DS": "0",
    "DT": "19000101000000", "FD": "0", "FL": "0", "IS": "0", "LO": _TEXT_DUMMY, "LT": _TEXT_DUMMY,
    "PN": _TEXT_DUMMY, "SH": _TEXT_DUMMY, "SL": "0", "SS": "0", "ST": _TEXT_DUMMY, "SV": "0",
    "TM": "000000", "UC": _TEXT_DUMMY, "UL": "0", "UR": _TEXT_DUMMY, "US": "0", "UT": _TEXT_DUMMY,
    "UV": "0", "OB": _BINARY_DUMMY, "OD": _BINARY_DUMMY, "OF": _BINARY_DUMMY, "OL": _BINARY_DUMMY,
    "OV": _BINARY_DUMMY, "OW": _BINARY_DUMMY, "UN": _BINARY_DUMMY,
}
#: the maximum length in characters of the text VRs that have one (PS3.5 Table 6.2-1)
MAX_LENGTH: Final[Mapping[str, int]] = {"AE": 16, "CS": 16, "SH": 16, "LO": 64, "PN": 64, "ST": 1024}

#: how strong an action is, to keep one line when two rows name the same attribute
_STRENGTH: Final[Mapping[str, int]] = {"REMOVE": 3, "BLANK": 2, "REPLACE": 1, "KEEP": 0}

_CONCRETE: Final = re.compile(r"\(([0-9A-Fa-f]{4}),([0-9A-Fa-f]{4})\)")
_REPEATING: Final = re.compile(r"\(([0-9A-Fa-f]{2})[xX]{2},([0-9A-Fa-fxX]{4})\)")


@dataclass(frozen=True, slots=True)
class Row:
    """One Basic Profile row of the table."""

    name: str  #: the attribute's name in the table
    tag: str  #: the tag as the table writes it, e.g. ``(0010,0010)`` or ``(60XX,3000)``
    code: str  #: the Basic Profile action code, e.g. ``X``, ``Z/D``, ``X/Z/U*``

    @property
    def sort_key(self) -> tuple[int, str]:
        """Return the row's place in tag order (an ``x`` counts as 0)."""
        digits = re.sub(r"[xX]", "0", self.tag[1:5] + self.tag[6:10])
        try:
            return int(digits, 16), self.tag
        except ValueError:
            return 1 << 32, self.tag


@dataclass(frozen=True, slots=True)
class Rule:
    """One header action of the recipe, with the row it implements."""

    row: Row  #: the table row
    verb: str  #: REMOVE, BLANK, REPLACE or KEEP
    field: str  #: the field expression: a keyword, a tag or an expander
    value: str = ""  #: the value (REPLACE only)

    def lines(self) -> list[str]:
        """Return the recipe lines: a comment naming the row, then the action."""
        action = f"{self.verb} {self.field} {self.value}".rstrip()
        return [f"# {self.row.tag} {self.row.name} [{self.row.code}]", action]


@dataclass(frozen=True, slots=True)
class Unexpressed:
    """A row the recipe language cannot express, and why."""

    row: Row  #: the table row
    reason: str  #: what to do instead


def load_rows(path: Path) -> list[Row]:
    """Read the table and return its rows that have a Basic Profile code, in tag order."""
    data = json.loads(path.read_text(encoding="utf-8"))
    rows = [Row(" ".join(str(r["name"]).split()), str(r["tag"]).strip(), str(r["basicProfile"]).strip())
            for r in data if str(r.get("basicProfile", "")).strip()]
    return sorted(rows, key=lambda row: row.sort_key)


def effective_code(code: str) -> str:
    """Return the single action a (possibly combined) code stands for.

    A combined code lists the actions allowed for an attribute whose Type differs between
    IODs. Choose D when the code allows it (a dummy is valid for every Type), otherwise Z
    (an empty value is valid for Type 2 and Type 3). C (clean) becomes Z: deidc cannot
    clean, and an empty value carries nothing. ``X/Z/U*`` also becomes Z.
    """
    letters = code.replace(" ", "").split("/")
    if "D" in letters:
        return "D"
    if "Z" in letters or "C" in letters:
        return "Z"
    return letters[0]


def dictionary_vr(tag: int) -> str | None:
    """Return the dictionary VR of a tag (the first when there is a choice), or None."""
    try:
        vr = str(dictionary_VR(tag))
    except KeyError:
        return None
    return vr.split(" or ")[0].strip()


def dummy(vr: str) -> str | None:
    """Return a non-empty dummy value valid for ``vr``, or None when there is none."""
    value = DUMMIES.get(vr)
    if value is None:
        return None
    return value[: MAX_LENGTH.get(vr, len(value))]


def action_for(code: str, vr: str | None) -> tuple[str, str]:
    """Return the verb and value of the action for a code and the attribute's VR."""
    single = effective_code(code)
    if single == "K":
        return "KEEP", ""
    if single == "X":
        return "REMOVE", ""
    if single == "U" or (single == "D" and vr == "UI"):
        return "REPLACE", UID_VALUE
    if single == "Z" or (single == "D" and vr == "SQ"):
        return "BLANK", ""
    if single == "D":
        value = None if vr is None else dummy(vr)
        return ("REPLACE", value) if value is not None else ("REMOVE", "")
    raise ValueError(f"unknown Basic Profile code {code!r}")


def _group_regex(group: str, element: str) -> str:
    """Return a ``startswith:`` pattern for the tags of a repeating group (``gg00``-``gg1E``, even)."""
    pattern = rf"\({group.lower()}[01][02468ace],"
    if element.lower() != "xxxx":
        pattern += rf"{element.lower()}\)"
    return f"startswith:{pattern}"


def rule_for(row: Row) -> Rule | Unexpressed:
    """Return the recipe action for one row, or why there is none."""
    concrete = _CONCRETE.fullmatch(row.tag)
    if concrete:
        tag = int(concrete.group(1) + concrete.group(2), 16)
        keyword = keyword_for_tag(tag)
        field = keyword or f"({tag >> 16:04X},{tag & 0xFFFF:04X})"
        verb, value = action_for(row.code, dictionary_vr(tag) if keyword else None)
        return Rule(row, verb, field, value)
    repeating = _REPEATING.fullmatch(row.tag)
    if repeating:
        # By tag text, not by repeater keyword: pydicom gives repeating-group elements
        # no keyword (DataElement.keyword is ''), so `REMOVE OverlayData` matches nothing.
        verb, value = action_for(row.code, None)
        return Rule(row, verb, _group_regex(repeating.group(1), repeating.group(2)), value)
    if "ODD" in row.tag.upper():
        return Unexpressed(row, "left to remove_private=True (or the CLI's remove-private option), which removes "
                                "every private element, creators included, at every depth")
    return Unexpressed(row, "this tag form has no field expression")


def plan_rules(rows: Sequence[Row]) -> tuple[list[Rule], list[Unexpressed]]:
    """Return one rule per attribute (the strongest when two rows name one) and what is left out."""
    by_field: dict[str, Rule] = {}
    left_out: list[Unexpressed] = []
    for row in rows:
        rule = rule_for(row)
        if isinstance(rule, Unexpressed):
            left_out.append(rule)
            continue
        known = by_field.get(rule.field.lower())
        if known is None or _STRENGTH[rule.verb] > _STRENGTH[known.verb]:
            by_field[rule.field.lower()] = rule
    rules = sorted(by_field.values(), key=lambda rule: rule.row.sort_key)
    return rules, left_out


def _header(rows: Sequence[Row]) -> list[str]:
    return [
        "FORMAT dicom",
        "",
        "# deidc's default recipe: the Basic Application Level Confidentiality Profile of DICOM",
        f"# PS3.15 Table E.1-1 ({EDITION} edition, {len(rows)} rows with a Basic Profile code), one",
        "# action per attribute, in tag order. Each action follows a comment naming its row:",
        "# tag, attribute name and the table's action code.",
        "#",
        "# GENERATED FILE: do not edit. It is written by tools/make_default_recipe.py from",
        f"# deidc/data/ps3.15-table-e1-1.json ({SOURCE}).",
        "# Regenerate with:  python tools/make_default_recipe.py",
        "#",
        "# X -> REMOVE; Z -> BLANK; D -> REPLACE with a dummy valid for the VR; U -> REPLACE with",
        "# a UID derived from the old one (stable: the same UID always maps to the same new UID);",
        "# combined codes take D when allowed, otherwise Z; sequences cannot hold a dummy and are",
        "# emptied (BLANK) instead. See docs/default-recipe.md for the full mapping.",
        "#",
        "# Private elements are not selected by this recipe: use remove_private=True.",
        "",
        "%header",
        "",
    ]


def _footer(left_out: Sequence[Unexpressed]) -> list[str]:
    lines = [
        "",
        "# Record that the dataset was de-identified, and how (PS3.15 E.1.1).",
        "ADD PatientIdentityRemoved YES",
        f"ADD DeidentificationMethod {METHOD}",
        "",
        "# Not expressed by this recipe:",
    ]
    for item in left_out:
        lines.append(f"#   {item.row.tag} {item.row.name} [{item.row.code}]: {item.reason}")
    if not left_out:
        lines.append("#   (nothing)")
    return lines


def render(rows: Sequence[Row]) -> str:
    """Return the text of the recipe for the given rows."""
    if len(METHOD) > 64:
        raise ValueError("the De-identification Method value is longer than LO allows")
    rules, left_out = plan_rules(rows)
    lines = _header(rows)
    for rule in rules:
        lines += rule.lines()
    lines += _footer(left_out)
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Write the default recipe (or, with ``--check``, compare it); return an exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--table", type=Path, default=TABLE, help="the PS3.15 Table E.1-1 JSON")
    parser.add_argument("--output", type=Path, default=OUTPUT, help="where to write the recipe")
    parser.add_argument("--check", action="store_true", help="exit 1 if the output is not up to date")
    args = parser.parse_args(argv)
    text = render(load_rows(args.table))
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else None
        if current != text:
            sys.stderr.write(f"{args.output} is out of date: run tools/make_default_recipe.py\n")
            return 1
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8", newline="\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
