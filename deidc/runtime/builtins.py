"""The ``deid_func:`` built-ins: pure functions of an element's value and their arguments.

Each returns the new value (or raises :class:`BuiltinError`). They take the same
inputs as deid's built-ins, without deid's printing.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Final

from pydicom.uid import generate_uid

from deidc.runtime.dates import NotADate, shift


class BuiltinError(ValueError):
    """A built-in could not produce a value."""


def _flag(args: Mapping[str, str], name: str, default: bool) -> bool:
    value = args.get(name)
    if value is None:
        return default
    return value.lower() in ("true", "yes", "1")


def _jitter(value: object, vr: str, name: str, args: Mapping[str, str]) -> object:
    days = int(args.get("days", "1")) + 365 * int(args.get("years", "0"))
    if not value:
        return value
    try:
        return shift(str(value), vr if vr in ("DA", "DT") else "DA", days)
    except NotADate as error:
        raise BuiltinError(str(error)) from error


def _basic_uuid(value: object, vr: str, name: str, args: Mapping[str, str]) -> object:
    return str(uuid.uuid4())


def _suffix_uuid(value: object, vr: str, name: str, args: Mapping[str, str]) -> object:
    return f"{name.lower()}-{uuid.uuid4()}"


def _dicom_uuid(value: object, vr: str, name: str, args: Mapping[str, str]) -> object:
    root = args.get("org_root", "anonymous-organization")
    return f"{root}.{uuid.uuid4().int}"[:64]


def _pydicom_uuid(value: object, vr: str, name: str, args: Mapping[str, str]) -> object:
    if value is None or value == "":
        return value  # nothing to map: an empty UID stays empty (deid gives every empty UID one new UID)
    if isinstance(value, Iterable) and not isinstance(value, (str, bytes)):
        return [_one_uid(v, args) for v in value]
    return _one_uid(value, args)


def _one_uid(value: object, args: Mapping[str, str]) -> str:
    prefix_text = args.get("prefix", "2.25.")
    prefix = None if prefix_text.lower() in ("none", "null") else prefix_text
    stable = _flag(args, "stable_remapping", True)
    try:
        if stable:
            return _stable_uid(str(value), prefix)
        return str(generate_uid(prefix=prefix))  # type: ignore[arg-type]
    except ValueError as error:
        raise BuiltinError(f"bad UID prefix '{prefix_text}': {error}") from error


@functools.lru_cache(maxsize=4096)
def _stable_uid(value: str, prefix: str | None) -> str:
    """Return the UID a value always maps to (a hash of it): a batch meets the same study's UIDs in many files."""
    return str(generate_uid(prefix=prefix, entropy_srcs=[value]))  # type: ignore[arg-type]


Builtin = Callable[[object, str, str, Mapping[str, str]], object]

#: the built-ins by name: f(current value, VR, nested name, arguments) -> new value
BUILTINS: Final[Mapping[str, Builtin]] = {
    "jitter": _jitter,
    "basic_uuid": _basic_uuid,
    "suffix_uuid": _suffix_uuid,
    "dicom_uuid": _dicom_uuid,
    "pydicom_uuid": _pydicom_uuid,
}
