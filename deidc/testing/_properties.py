"""Ready-made properties of a recipe: each runs a Hypothesis search over :func:`datasets`.

A property takes a recipe (a path, recipe text or a ``DeidRecipe``), runs its plan on
generated datasets, and raises ``AssertionError`` on the smallest dataset it finds
that breaks the property. The message shows that dataset and the recipe lines
responsible, from the run's change record (``Execution.changes``, whose ``origin``
is ``path:line``) and :func:`deidc.explain.explain`.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import io
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Final, TypeVar

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset
from pydicom.filewriter import dcmwrite
from pydicom.multival import MultiValue
from pydicom.sequence import Sequence as PydicomSequence
from pydicom.uid import UID

from deidc.compiler import compile_recipe, missing_inputs
from deidc.config import DeidRecipe
from deidc.errors import InputError, RecipeError
from deidc.explain import explain
from deidc.plan import Plan, SelectTag, ValueLiteral
from deidc.runtime import Change, Execution, Matcher, StepError, execute
from deidc.runtime.walk import address_uid
from deidc.testing._datasets import datasets
from deidc.testing._values import UID_ROOT

_T = TypeVar("_T")

#: the attributes :func:`assert_removes_phi` watches unless told otherwise
PHI_KEYWORDS: Final[tuple[str, ...]] = (
    "PatientName", "PatientID", "PatientBirthDate", "OtherPatientIDs", "OtherPatientNames", "PatientAddress",
    "ReferringPhysicianName", "AccessionNumber",
)
#: UID attributes every dataset of :func:`assert_consistent_uids` has
UID_KEYWORDS: Final[tuple[str, ...]] = ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID")
#: UID attributes that share values in real data (an instance's UID and the references to it)
UID_ROLES: Final[dict[str, tuple[str, ...]]] = {
    "study": ("StudyInstanceUID",),
    "series": ("SeriesInstanceUID",),
    "instance": ("SOPInstanceUID", "ReferencedSOPInstanceUID"),
    "class": ("SOPClassUID", "ReferencedSOPClassUID"),
    "frame": ("FrameOfReferenceUID",),
}
#: groups whose elements never stand in a dataset's body: file meta, and item delimiters
_NOT_IN_A_DATASET: Final = (0x0002, 0xFFFE)
#: every phase but "explain", whose report the failure message replaces (and which costs seconds)
_PHASES: Final = tuple(phase for phase in Phase if phase is not Phase.explain)
_HEALTH: Final = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]


@dataclass
class _Recipe:
    """A recipe ready to run: its plan, a name for messages, and the run's inputs."""

    plan: Plan
    name: str
    variables: Mapping[str, object]
    key: bytes
    matcher: Matcher = field(default_factory=Matcher)

    def run(self, dataset: Dataset) -> Execution:
        """Run the plan on ``dataset`` in place, with fresh copies of the inputs."""
        return execute(self.plan, dataset, dict(self.variables), matcher=self.matcher)

    @functools.cached_property
    def named(self) -> tuple[str, ...]:
        """Return the dictionary keywords the recipe's actions name: datasets are drawn with them often."""
        return tuple(sorted({s.selector.keyword for s in self.plan.steps if isinstance(s.selector, SelectTag)
                             and s.selector.keyword and s.selector.tag >> 16 not in _NOT_IN_A_DATASET}))

    def line(self, origin: str) -> str:
        """Return ``path:line: TEXT`` for a step's origin (``path:line``)."""
        texts = {str(s.origin): s.origin.text for s in self.plan.steps}
        return f"{origin}: {texts[origin]}" if texts.get(origin) else origin


def _load(recipe: object, variables: Mapping[str, object] | None) -> _Recipe:
    """Load a recipe given as text (it has a newline), as a path, folder or tag, or as a ``DeidRecipe``."""
    if isinstance(recipe, str) and "\n" in recipe:
        compiled = compile_recipe(recipe, path="<recipe>")
        if compiled.plan is None:
            raise RecipeError(compiled.diagnostics)
        plan, name = compiled.plan, "<recipe>"
    elif isinstance(recipe, DeidRecipe):
        plan, name = recipe.plan, ", ".join(recipe.plan.sources) or "<recipe>"
    elif isinstance(recipe, (str, os.PathLike)):
        plan, name = DeidRecipe(recipe).plan, os.fspath(recipe)
    else:
        raise InvalidArgument(f"recipe={recipe!r} must be a path, recipe text or a DeidRecipe")
    key = hashlib.sha256(repr(plan).encode()).digest()
    return _checked(_Recipe(plan, name, dict(variables or {}), key))


def _checked(recipe: _Recipe) -> _Recipe:
    missing = missing_inputs(recipe.plan, recipe.variables)
    if missing:
        raise InputError("the recipe needs inputs: pass them as variables={...}: "
                         + "; ".join(d.message for d in missing), missing)
    return recipe


def _search(strategy: st.SearchStrategy[_T], check: Callable[[_T], None], *, key: bytes, max_examples: int) -> None:
    """Run ``check`` on values of ``strategy`` until it fails (Hypothesis shrinks the failure) or passes."""
    if isinstance(max_examples, bool) or not isinstance(max_examples, int) or max_examples < 1:
        raise InvalidArgument(f"max_examples={max_examples!r} must be a positive integer")

    @settings(max_examples=max_examples, deadline=None, suppress_health_check=_HEALTH, report_multiple_bugs=False,
              phases=_PHASES)
    @given(strategy)
    def search(value: _T) -> None:
        check(value)

    # one database entry per recipe, so that a failure found for one recipe is not replayed for another
    search.hypothesis.inner_test._hypothesis_internal_add_digest = key  # type: ignore[attr-defined]
    search()


# ---------------------------------------------------------------- reading datasets


def elements(dataset: Dataset, prefix: tuple[int, ...] = ()) -> Iterator[tuple[tuple[int, ...], DataElement]]:
    """Yield every element of a dataset with its address (tags and item indexes), items included."""
    for element in dataset:
        address = (*prefix, int(element.tag))
        yield address, element
        if element.VR == "SQ":
            for index, item in enumerate(element.value):
                yield from elements(item, (*address, index))


def components(value: object) -> list[str]:
    """Return the non-empty single values of an element's value, as text (bytes and sequences are left out)."""
    if isinstance(value, PydicomSequence):
        return []  # a sequence's values are its items' elements, checked one by one
    parts = list(value) if isinstance(value, (list, tuple, MultiValue)) else [value]
    return [str(p) for p in parts if p is not None and not isinstance(p, (bytes, Dataset)) and str(p).strip()]


def _responsible(recipe: _Recipe, dataset: Dataset, address: tuple[int, ...]) -> list[str]:
    """Return the recipe lines that bear on one element of ``dataset`` (as it was before the run)."""
    try:
        report = next((r for r in explain(recipe.plan, dataset, dict(recipe.variables)).elements
                       if r.address == address), None)
    except StepError as error:
        return [f"{error.step.origin}: {error.step.origin.text} fails on this dataset: {error.reason}"]
    if report is None or not report.rules:
        return ["no line of the recipe selects this element"]
    return [f"{r.origin}: {r.text}  [{r.status.value}{': ' + r.note if r.note else ''}]" for r in report.rules]


def _dataset_text(dataset: Dataset) -> str:
    return "\n".join("  " + line for line in str(dataset).splitlines()) or "  (empty)"


class PropertyFailure(AssertionError):
    """A recipe broke a property; the message names the recipe lines and shows the datasets.

    The message is built when it is first shown: Hypothesis raises this many times while
    it shrinks, and only the last one is read.
    """

    def __init__(self, headline: str, lines: list[str] | Callable[[], list[str]],
                 shown: list[tuple[str, Dataset]]) -> None:
        """Keep what the message needs."""
        super().__init__(headline)
        self.headline = headline
        self._lines = lines
        self._shown = shown
        self._text: str | None = None

    def __str__(self) -> str:
        """Return the headline, the recipe lines responsible, and the datasets."""
        if self._text is None:
            lines = self._lines() if callable(self._lines) else self._lines
            text = [self.headline, "recipe lines responsible:", *("  " + line for line in lines)]
            for title, dataset in self._shown:
                text += [f"{title}:", _dataset_text(dataset)]
            self._text = "\n".join(text)
        return self._text


# ---------------------------------------------------------------- the properties


def assert_removes_phi(recipe: str | os.PathLike[str] | DeidRecipe, *, keywords: tuple[str, ...] = PHI_KEYWORDS,
                       variables: Mapping[str, object] | None = None, max_examples: int = 100) -> None:
    """Check that no original value of ``keywords`` survives the recipe, anywhere in the output.

    Datasets are drawn with every keyword present (at the top level and inside
    sequence items). A value survives when, after the run, an element of one of
    ``keywords`` (at any depth) still holds it, or an element the recipe wrote holds it.

    Args:
        recipe: a recipe file, folder or tag; recipe text (anything with a newline);
            or a ``DeidRecipe``.
        keywords: the attributes whose values must not survive.
        variables: values for ``var:`` and functions for ``func:``.
        max_examples: how many datasets to try.

    Raises:
        AssertionError: a value survived; the message shows the smallest dataset found,
            the surviving value and the recipe lines that bear on it.
        InvalidArgument: an option is invalid.
    """
    loaded = _load(recipe, variables)
    watched = frozenset(keywords)
    literals = frozenset(step.value.text for step in loaded.plan.steps if isinstance(step.value, ValueLiteral))

    def check(dataset: Dataset) -> None:
        original = copy.deepcopy(dataset)
        phi = {value: (address, element.keyword) for address, element in elements(original)
               if element.keyword in watched for value in components(element.value)}
        execution = loaded.run(dataset)
        written = {c.uid for c in execution.changes if c.after is not None}
        for address, element in elements(dataset):
            if element.keyword not in watched and address_uid(address) not in written:
                continue
            for value in components(element.value):
                if value in phi and value not in literals:  # a recipe's own dummy is no leak
                    source, keyword = phi[value]
                    headline = (f"recipe {loaded.name} leaks PHI: {element.keyword or 'the element'} at "
                                f"{address_uid(address)} holds {value!r}, the original value of {keyword} at "
                                f"{address_uid(source)}")
                    shown = [("smallest dataset found (before the recipe)", original), ("after the recipe", dataset)]
                    raise PropertyFailure(headline, functools.partial(_responsible, loaded, original, address), shown)

    _search(datasets(keywords=keywords, likely=loaded.named), check, key=loaded.key, max_examples=max_examples)


def _first_difference(a: Dataset, b: Dataset) -> tuple[tuple[int, ...], object, object] | None:
    first = {address: element.value for address, element in elements(a) if element.VR != "SQ"}
    second = {address: element.value for address, element in elements(b) if element.VR != "SQ"}
    for address in sorted(first.keys() | second.keys()):
        if first.get(address) != second.get(address):
            return address, first.get(address), second.get(address)
    return None


def assert_idempotent(recipe: str | os.PathLike[str] | DeidRecipe, *,
                      variables: Mapping[str, object] | None = None, max_examples: int = 100) -> None:
    """Check that running the recipe twice gives what running it once gives.

    Meant for deterministic recipes: one that jitters dates or draws new UIDs changes
    its own output by design.

    Args:
        recipe: a recipe file, folder or tag; recipe text; or a ``DeidRecipe``.
        variables: values for ``var:`` and functions for ``func:``.
        max_examples: how many datasets to try.

    Raises:
        AssertionError: the second run changed something; the message shows the element,
            the line that changed it and the smallest dataset found.
    """
    loaded = _load(recipe, variables)

    def check(dataset: Dataset) -> None:
        original = copy.deepcopy(dataset)
        loaded.run(dataset)
        once = copy.deepcopy(dataset)
        again = loaded.run(dataset)
        difference = _first_difference(once, dataset)
        if difference is None and once == dataset:
            return
        address, before, after = difference or ((), None, None)
        lines = [loaded.line(c.origin) for c in again.changes if c.uid == address_uid(address)]
        where = address_uid(address) or "it"
        raise PropertyFailure(f"recipe {loaded.name} is not idempotent: a second run changes {where} "
                              f"from {before!r} to {after!r}", lines or ["(no change record for this element)"],
                              [("smallest dataset found (before the recipe)", original), ("after one run", once),
                               ("after two runs", dataset)])

    _search(datasets(likely=loaded.named), check, key=loaded.key, max_examples=max_examples)


def assert_never_fails(recipe: str | os.PathLike[str] | DeidRecipe, *, variables: Mapping[str, object] | None = None,
                       write: bool = True, max_examples: int = 100) -> None:
    """Check that the recipe runs without an exception on every dataset (and that its output can be written).

    Args:
        recipe: a recipe file, folder or tag; recipe text; or a ``DeidRecipe``.
        variables: values for ``var:`` and functions for ``func:``.
        write: also write each output as DICOM (to memory).
        max_examples: how many datasets to try.

    Raises:
        AssertionError: a run or a write failed; the message shows the error, the
            recipe line that failed and the smallest dataset found.
    """
    loaded = _load(recipe, variables)

    def check(dataset: Dataset) -> None:
        original = copy.deepcopy(dataset)
        try:
            execution = loaded.run(dataset)
        except StepError as error:
            raise PropertyFailure(f"recipe {loaded.name} fails: {error.reason}", [loaded.line(str(error.step.origin))],
                                  [("smallest dataset found", original)]) from error
        except Exception as error:  # the property is "no exception at all": any type is a finding
            raise PropertyFailure(f"recipe {loaded.name} fails: {type(error).__name__}: {error}",
                                  ["(not a recipe step)"], [("smallest dataset found", original)]) from error
        if not write:
            return
        try:
            dcmwrite(io.BytesIO(), dataset, implicit_vr=False, little_endian=True)
        except Exception as error:  # any failure to write the output is a finding
            lines = [f"{loaded.line(c.origin)}  [{c.keyword or c.uid} = {c.after!r}]" for c in execution.changes]
            problem = f"{type(error).__name__}: {error}"
            raise PropertyFailure(f"the output of recipe {loaded.name} cannot be written: {problem}",
                                  lines or ["(the recipe changed nothing)"],
                                  [("smallest dataset found", original), ("after the recipe", dataset)]) from error

    _search(datasets(likely=loaded.named), check, key=loaded.key, max_examples=max_examples)


def _uid_pairs(change: Change) -> list[tuple[str, str]]:
    before, after = components(change.before), components(change.after)
    if not after or len(before) != len(after):
        return []
    return [(b, a) for b, a in zip(before, after, strict=True) if UID(b).is_valid]


def _under(root: str) -> Callable[[int], str]:
    """Return a function that makes the UID ``root`` + a number."""
    return lambda number: f"{root}{number}"


def assert_consistent_uids(recipe: str | os.PathLike[str] | DeidRecipe, *,
                           variables: Mapping[str, object] | None = None, max_examples: int = 100) -> None:
    """Check that every UID the recipe rewrites maps to one new UID, across datasets.

    Several datasets are drawn from small pools of UIDs, one pool per role (studies,
    series, instances and the references to them...), so the same UID shows up in
    different elements, items and files, as it does in real data. Wherever a recipe line replaces a UID
    by another (e.g. ``REPLACE StudyInstanceUID deid_func:pydicom_uuid``), the same
    old UID must always give the same new one; removed or untouched UIDs are not
    mappings and are not checked.

    Args:
        recipe: a recipe file, folder or tag; recipe text; or a ``DeidRecipe``.
        variables: values for ``var:`` and functions for ``func:``.
        max_examples: how many groups of datasets to try.

    Raises:
        AssertionError: one UID was mapped to two UIDs; the message shows both
            mappings with their recipe lines, and the smallest datasets found.
    """
    loaded = _load(recipe, variables)
    pools = {}
    for number, (role, names) in enumerate(UID_ROLES.items(), start=1):
        # one root per role, so that a study and a series never share a UID (as in real data)
        role_uids = st.integers(1, 10**12).map(_under(f"{UID_ROOT}{number}."))
        pool = st.shared(st.lists(role_uids, min_size=1, max_size=3, unique=True), key=f"deidc.testing.uids.{role}")
        pools.update(dict.fromkeys(names, pool.flatmap(st.sampled_from)))
    group = st.lists(datasets(keywords=UID_KEYWORDS, uids=pools, private=False, likely=loaded.named),
                     min_size=2, max_size=3)

    def check(group: list[Dataset]) -> None:
        originals = copy.deepcopy(group)
        seen: dict[str, tuple[str, str]] = {}
        for number, dataset in enumerate(group, start=1):
            for change in loaded.run(dataset).changes:
                for old, new in _uid_pairs(change):
                    where = f"dataset {number}, {change.uid}, {loaded.line(change.origin)}"
                    first = seen.setdefault(old, (new, where))
                    if first[0] != new:
                        shown = [(f"dataset {i} (before the recipe)", d) for i, d in enumerate(originals, 1)]
                        raise PropertyFailure(f"recipe {loaded.name} maps UID {old} to two UIDs: {first[0]} "
                                              f"({first[1]}) and {new} ({where})", [first[1], where], shown)

    _search(group, check, key=loaded.key, max_examples=max_examples)
