r"""deidc's own Python API: text → AST → plan → changed dataset, one function per stage.

Example:
    >>> import deidc
    >>> parsed = deidc.parse("FORMAT dicom\n%header\nREPLAC PatientName x\n")
    >>> parsed.diagnostics
    ()
    >>> compiled = deidc.compile_recipe("FORMAT dicom\n%header\nREPLAC PatientName x\n", path="r.deid")
    >>> print(deidc.render(compiled.diagnostics, format="concise"))
    r.deid:3:1: error[DEID101]: unknown action 'REPLAC' — did you mean 'REPLACE'?
    >>> plan = deidc.compile_recipe("FORMAT dicom\n%header\nREPLACE PatientName var:name\n").plan
    >>> plan.variables
    ('name',)
    >>> from pydicom import Dataset
    >>> ds = Dataset()
    >>> ds.PatientName = "Doe^John"
    >>> result = deidc.apply(plan, ds, variables={"name": "ANON"})
    >>> str(result.dataset.PatientName), str(ds.PatientName)
    ('ANON', 'Doe^John')
    >>> [(c.keyword, c.action, c.origin) for c in result.changes]
    [('PatientName', 'REPLACE', '<string>:3')]
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from pydicom.dataset import Dataset

from deidc.compiler import missing_inputs
from deidc.errors import InputError
from deidc.plan import Plan
from deidc.runtime import Change, Matcher, execute

__all__ = ["Applied", "apply"]


@dataclass(frozen=True)
class Applied:
    """What :func:`apply` returns."""

    dataset: Dataset  #: the de-identified dataset
    changes: tuple[Change, ...]  #: what changed, in order, with the recipe line of each change
    lists: Mapping[str, object]  #: the ``%values`` and ``%fields`` lists computed for this dataset


def apply(
    plan: Plan,
    dataset: Dataset,
    *,
    variables: Mapping[str, object] | None = None,
    functions: Mapping[str, Callable[..., object]] | None = None,
    in_place: bool = False,
    strip_sequences: bool = False,
    remove_private: bool = False,
    matcher: Matcher | None = None,
) -> Applied:
    """Run a compiled plan on a dataset; return the new dataset and the record of changes.

    Args:
        plan: a compiled plan (``compile_recipe(...).plan``).
        dataset: the input; copied first unless ``in_place``.
        variables: values for ``var:NAME``.
        functions: callables for ``func:NAME`` (called as deid calls them, with keyword
            arguments ``item``, ``value``, ``field`` and ``dicom``).
        in_place: change ``dataset`` itself instead of a copy.
        strip_sequences: delete top-level sequences first.
        remove_private: delete private elements first.
        matcher: a decision cache to share across many datasets of one batch.

    Raises:
        InputError: a ``var:`` or ``func:`` the plan needs is missing (nothing is changed).
    """
    lookup: dict[str, object] = {**(variables or {}), **(functions or {})}
    missing = missing_inputs(plan, lookup)
    if missing:
        raise InputError("; ".join(d.message for d in missing), missing)
    target = dataset if in_place else copy.deepcopy(dataset)
    result = execute(plan, target, lookup, matcher=matcher, strip_sequences=strip_sequences,
                     remove_private=remove_private)
    return Applied(target, tuple(result.changes), dict(result.groups))
