"""Value sources → Python values: literals converted by VR, ``var:``, ``func:``, ``deid_func:``.

A value that cannot be made raises :class:`ValueProblem`; the engine turns it into
a per-file error naming the recipe line.
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from typing import Final

from pydicom.dataset import Dataset

from deidc.plan import ValueDeidFunc, ValueFunc, ValueLiteral, ValueSource, ValueVar
from deidc.runtime.builtins import BUILTINS, BuiltinError

_FLOAT_VRS: Final = frozenset({"FL", "FD"})
_INT_VRS: Final = frozenset({"SL", "SS", "SV", "UL", "US", "UV"})
_BYTES_VRS: Final = frozenset({"OB", "OD", "OF", "OL", "OV", "OW", "UN"})


class ValueProblem(ValueError):
    """A value the recipe asks for cannot be made for this element."""


def convert_literal(text: str, vr: str) -> object:
    """Convert literal text to the Python type pydicom wants for ``vr`` (as deid does)."""
    try:
        if vr in _FLOAT_VRS:
            parts = [float(p) for p in text.split("\\")]
            return parts[0] if len(parts) == 1 else parts
        if vr in _INT_VRS:
            ints = [int(p) for p in text.split("\\")]
            return ints[0] if len(ints) == 1 else ints
    except ValueError as error:
        raise ValueProblem(f"'{text}' is not a valid value for VR {vr}") from error
    if vr in _BYTES_VRS:
        return text.encode("utf-8")
    return text


class FieldLike:
    """What a ``func:`` receives as ``field``: see :class:`deidc.runtime.field.DicomField`."""


def resolve(
    source: ValueSource,
    *,
    vr: str,
    current: object,
    name: str,
    lookup: MutableMapping[str, object],
    dataset: Dataset,
    field: object,
) -> object:
    """Return the value ``source`` gives for one element (``None``: no value)."""
    match source:
        case ValueLiteral(text=text):
            return convert_literal(text, vr)
        case ValueVar(name=var):
            if var not in lookup:
                raise ValueProblem(f"the variable '{var}' is not defined")
            return lookup[var]
        case ValueFunc(name=func):
            function = lookup.get(func)
            if not callable(function):
                raise ValueProblem(f"the function '{func}' is not defined")
            call: Callable[..., object] = function
            get = getattr(field, "get", None)
            return call(item=lookup, value=f"func:{func}", field=get() if callable(get) else field, dicom=dataset)
        case ValueDeidFunc(name=builtin, args=args):
            try:
                return BUILTINS[builtin](current, vr, name, dict(args))
            except BuiltinError as error:
                raise ValueProblem(str(error)) from error
            except KeyError as error:
                raise ValueProblem(f"'{builtin}' is not a deid_func built-in") from error
    raise AssertionError(source)
