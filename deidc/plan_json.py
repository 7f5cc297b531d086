"""The plan as JSON: :class:`~deidc.plan.Plan` ↔ a dict of JSON types.

Every plan object becomes an object whose ``"type"`` is its class name, with one key
per field; tuples become lists and enums their values. The top level is the plan's
fields plus ``"version": 1``. :func:`plan_from_json` inverts :func:`plan_to_json`
exactly: ``plan_from_json(plan_to_json(p)) == p``.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import typing
from typing import Final

from deidc import plan as plan_module
from deidc.plan import Plan

__all__ = ["VERSION", "plan_from_json", "plan_to_json"]

#: the version of the JSON form; a reader rejects any other
VERSION: Final = 1

#: the plan classes a JSON object may name in ``"type"``
_TYPES: Final[dict[str, type]] = {
    name: cls
    for name, cls in vars(plan_module).items()
    if isinstance(cls, type) and dataclasses.is_dataclass(cls) and cls.__module__ == plan_module.__name__
}

JSON = None | bool | int | float | str | list["JSON"] | dict[str, "JSON"]


def _encode(value: object) -> JSON:
    if isinstance(value, enum.Enum):
        return _encode(value.value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, JSON] = {"type": type(value).__name__}
        for f in dataclasses.fields(value):
            out[f.name] = _encode(getattr(value, f.name))
        return out
    if isinstance(value, tuple | list):
        return [_encode(item) for item in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise TypeError(f"a plan holds no {type(value).__name__}")


def plan_to_json(plan: Plan) -> dict[str, JSON]:
    """Return a plan as a dict of JSON types, with ``"version": 1``.

    Args:
        plan: The plan.

    Returns:
        A dict that :func:`json.dumps` accepts and :func:`plan_from_json` reads back.
    """
    encoded = _encode(plan)
    assert isinstance(encoded, dict)
    del encoded["type"]
    return {"version": VERSION, **encoded}


@functools.cache
def _hints(cls: type) -> dict[str, object]:
    return typing.get_type_hints(cls, vars(plan_module))


def _decode(value: JSON, hint: object) -> object:
    if isinstance(value, dict):
        name = value.get("type")
        if not isinstance(name, str) or name not in _TYPES:
            raise ValueError(f"unknown plan object type {name!r}")
        return _build(_TYPES[name], value)
    if isinstance(value, list):
        args = typing.get_args(hint)
        item = args[0] if args else object
        return tuple(_decode(v, item) for v in value)
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return hint(value)
    return value


def _build(cls: type, data: dict[str, JSON]) -> object:
    hints = _hints(cls)
    kwargs = {f.name: _decode(data[f.name], hints[f.name]) for f in dataclasses.fields(cls) if f.name in data}
    return cls(**kwargs)


def plan_from_json(data: dict[str, JSON]) -> Plan:
    """Rebuild a plan from :func:`plan_to_json`'s output.

    Args:
        data: The JSON object, e.g. from :func:`json.load`.

    Returns:
        The plan, equal to the one that was written.

    Raises:
        ValueError: The version is not 1 or an object names an unknown type.
    """
    if data.get("version") != VERSION:
        raise ValueError(f"unsupported plan version {data.get('version')!r} (expected {VERSION})")
    plan = _build(Plan, {k: v for k, v in data.items() if k != "version"})
    assert isinstance(plan, Plan)
    return plan
