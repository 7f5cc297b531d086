"""Values known at compile time against the dictionary: a compiled ``Plan`` → warnings.

A literal that ADD or REPLACE writes into an element named exactly must suit the
element's dictionary VR (pydicom's :func:`~pydicom.valuerep.validate_value` decides,
as it would when the file is written), and JITTER changes only dates. An element whose
dictionary entry allows several VRs (``US or SS``) is reported only when the value
suits none of them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from pydicom.valuerep import MAX_VALUE_LEN, validate_value

from deidc import codes
from deidc.codes import Code
from deidc.compiler.elements import describe, element_vrs, exact, top
from deidc.compiler.where import Where
from deidc.diagnostics import Diagnostic, make
from deidc.plan import ActionKind, Plan, SelectTag, Step, ValueLiteral

_FLOATS: Final = frozenset({"FL", "FD"})
_INTEGERS: Final = frozenset({"SL", "SS", "SV", "UL", "US", "UV"})
_NUMBER_STRINGS: Final = frozenset({"IS", "DS"})
_NOT_CHECKED: Final = frozenset({"OB", "OD", "OF", "OL", "OV", "OW", "UN", "SQ", "AT"})
_SINGLE: Final = frozenset({"LT", "ST", "UT", "UR"})  #: VRs whose values may hold a backslash
#: what a valid value of a VR looks like, and an example
_FORMS: Final[dict[str, tuple[str, str]]] = {
    "CS": ("a code string holds only upper-case letters, digits, spaces and '_'", "YES"),
    "DA": ("a date is written YYYYMMDD", "20000101"),
    "TM": ("a time is written HHMMSS.FFFFFF, hours from 00 to 23", "120000"),
    "DT": ("a date-time is written YYYYMMDDHHMMSS.FFFFFF&ZZXX", "20000101120000"),
    "AS": ("an age is three digits and D, W, M or Y", "030Y"),
    "AE": ("an application entity title is printable ASCII without a backslash", "STATION1"),
    "UR": ("a URI has no spaces and only the characters a URI allows", "https://example.org/"),
}


@dataclass(frozen=True, slots=True)
class _Problem:
    code: Code
    message: str
    help: str
    suggestion: str = ""


def _target(step: Step) -> tuple[str, tuple[str, ...]] | None:
    """Return the element a step names exactly, as written, with its dictionary VRs."""
    element = top(step.selector.tag) if step.action is ActionKind.ADD and isinstance(step.selector, SelectTag) \
        else exact(step.selector)
    if element is None:
        return None
    vrs = element_vrs(element)
    return (describe(element), vrs) if vrs else None


def check_values(plan: Plan, where: Where) -> Iterator[Diagnostic]:
    """Report literals an element's VR does not allow, and JITTER of elements that are not dates."""
    for step in plan.steps:
        if step.action not in (ActionKind.ADD, ActionKind.REPLACE, ActionKind.JITTER):
            continue
        found = _target(step)
        if found is None:
            continue
        name, vrs = found
        if step.action is ActionKind.JITTER:
            if not {"DA", "DT"}.intersection(vrs):
                vr = " or ".join(vrs)
                yield make(codes.JITTER_NOT_A_DATE, f"JITTER changes only dates, and '{name}' is {vr}: it is left "
                           "as it is", where.target(step.origin), path=step.origin.path,
                           help=f"JITTER a date (DA) or date-time (DT) element instead, or REPLACE or REMOVE '{name}'")
            continue
        if not isinstance(step.value, ValueLiteral):
            continue
        problems = [_problem(vr, step.value.text, name) for vr in vrs]
        if problems and all(p is not None for p in problems):
            problem = problems[0]
            assert problem is not None
            yield make(problem.code, problem.message, where.value(step.origin), path=step.origin.path,
                       help=problem.help, suggestions=(problem.suggestion,) if problem.suggestion else ())


def _problem(vr: str, text: str, name: str) -> _Problem | None:
    if vr in _NOT_CHECKED:
        return None
    parts = [text] if vr in _SINGLE else text.split("\\")
    for part in parts:
        if part:
            problem = _part_problem(vr, part, name)
            if problem is not None:
                return problem
    return None


def _part_problem(vr: str, part: str, name: str) -> _Problem | None:
    if vr in _FLOATS or vr in _INTEGERS:
        return _number(vr, part, name)
    if vr == "UI":
        if not _valid(vr, part):
            return _Problem(codes.INVALID_UID, f"'{part}' is not a valid UID for '{name}'",
                            "a UID is numbers joined by '.', without leading zeros, at most 64 characters, e.g. "
                            "'1.2.826.0.1.3680043.8.498.1'; or write 'deid_func:pydicom_uuid' to make one")
        return None
    longest = MAX_VALUE_LEN.get(vr, 64 if vr == "PN" else 0)
    length = max(len(c) for c in part.replace("=", "^").split("^")) if vr == "PN" else len(part)
    if longest and length > longest:
        return _Problem(codes.VALUE_TOO_LONG, f"the value is {length} characters long, and '{name}' ({vr}) holds at "
                        f"most {longest}", f"shorten the value to {longest} characters or fewer")
    if vr in _NUMBER_STRINGS and not _valid(vr, part):
        kind = "whole number" if vr == "IS" else "number"
        return _Problem(codes.NOT_A_NUMBER, f"'{part}' is not a {kind}, and '{name}' ({vr}) holds {kind}s",
                        f"write a {kind}, e.g. '{'1' if vr == 'IS' else '1.5'}'")
    if not _valid(vr, part):
        form, example = _FORMS.get(vr, (f"it is not a valid {vr} value", ""))
        fixed = part.upper() if vr == "CS" and _valid(vr, part.upper()) else ""
        return _Problem(codes.INVALID_VALUE, f"'{part}' does not suit '{name}' ({vr}): {form}",
                        f"write '{fixed or example}'" if fixed or example else f"write a valid {vr} value", fixed)
    return None


def _number(vr: str, part: str, name: str) -> _Problem | None:
    kind = "number" if vr in _FLOATS else "whole number"
    try:
        value: float = float(part) if vr in _FLOATS else int(part)
    except ValueError:
        return _Problem(codes.NOT_A_NUMBER, f"'{part}' is not a {kind}, and '{name}' ({vr}) holds {kind}s",
                        f"write a {kind}, e.g. '{'1.5' if vr in _FLOATS else '1'}'")
    if not _valid(vr, value):
        return _Problem(codes.NOT_A_NUMBER, f"{part} is out of the range of '{name}' ({vr})",
                        f"write a {kind} that {vr} can hold")
    return None


def _valid(vr: str, value: object) -> bool:
    try:
        validate_value(vr, value, 2)  # pydicom.config.RAISE
    except (ValueError, TypeError, OverflowError):
        return False
    return True
