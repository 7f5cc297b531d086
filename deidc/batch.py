"""Batches: a plan + many input files → written outputs and one :class:`FileResult` each.

Files stream through (the list of paths is the only thing held for a whole batch); a
worker pool loads the plan once per worker; every output is written through a
temporary file and renamed into place; a file that fails is reported and the batch
goes on.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import pydicom
from pydicom.errors import InvalidDicomError

from deidc.dicom.utils import write_atomic
from deidc.plan import Plan
from deidc.runtime import Matcher, StepError, execute

__all__ = ["BatchOptions", "FileResult", "iter_inputs", "run_batch"]


@dataclass(frozen=True)
class BatchOptions:
    """How a batch runs."""

    output: str | None = None  #: the output folder (None: write nothing)
    variables: Mapping[str, object] = field(default_factory=dict)  #: var: values for every file
    overwrite: bool = False  #: replace existing outputs
    dry_run: bool = False  #: process but write nothing
    strip_sequences: bool = False  #: delete top-level sequences first
    remove_private: bool = False  #: delete private elements first
    force: bool = False  #: read files without the DICM preamble
    record_values: bool = False  #: keep original values in the change record


@dataclass(frozen=True)
class FileResult:
    """What happened to one input file."""

    path: str  #: the input
    ok: bool  #: processed (and written, unless skipped or a dry run)
    output: str | None = None  #: where it was (or would be) written
    counts: dict[str, int] = field(default_factory=dict)  #: changes by action
    skipped: bool = False  #: the output existed and overwrite was off
    code: str | None = None  #: the diagnostic code of a failure
    reason: str | None = None  #: why it failed
    changes: tuple[dict[str, object], ...] = ()  #: the change record (no original values unless asked)


def iter_inputs(paths: Sequence[str]) -> Iterator[tuple[str, str]]:
    """Yield ``(file, path relative to its input root)`` for files and folders, in sorted order."""
    for item in paths:
        if os.path.isdir(item):
            for root, dirs, files in os.walk(item):
                dirs.sort()
                for name in sorted(files):
                    full = os.path.join(root, name)
                    yield full, os.path.relpath(full, item)
        else:
            yield item, os.path.basename(item)


def _record(change: object, with_values: bool) -> dict[str, object]:
    entry: dict[str, object] = {
        "element": getattr(change, "uid", ""),
        "keyword": getattr(change, "keyword", ""),
        "action": getattr(change, "action", ""),
        "origin": getattr(change, "origin", ""),
    }
    after = getattr(change, "after", None)
    entry["after"] = None if after is None else str(after)
    if with_values:
        before = getattr(change, "before", None)
        entry["before"] = None if before is None else str(before)
    return entry


def process_file(plan: Plan, path: str, relative: str, options: BatchOptions, matcher: Matcher) -> FileResult:
    """Read, de-identify and write one file; never raises for a problem with that file."""
    try:
        dataset = pydicom.dcmread(path, force=options.force)
    except (OSError, InvalidDicomError, ValueError, EOFError, TypeError) as error:
        return FileResult(path, False, code="DEID403", reason=f"cannot read as DICOM: {error}")
    lookup: dict[str, object] = dict(options.variables)
    try:
        result = execute(plan, dataset, lookup, matcher=matcher, strip_sequences=options.strip_sequences,
                         remove_private=options.remove_private, record_values=options.record_values)
    except StepError as error:
        return FileResult(path, False, code="DEID402" if "function" in error.reason else "DEID403",
                          reason=str(error))
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        return FileResult(path, False, code="DEID403", reason=f"{type(error).__name__}: {error}")
    counts = dict(Counter(c.action for c in result.changes))
    changes = tuple(_record(c, options.record_values) for c in result.changes)
    if options.output is None or options.dry_run:
        return FileResult(path, True, None, counts, changes=changes)
    target = os.path.join(options.output, relative)
    try:
        os.makedirs(os.path.dirname(target) or ".", exist_ok=True)
        written = write_atomic(dataset, target, options.overwrite)
    except (OSError, ValueError, TypeError) as error:
        return FileResult(path, False, target, counts, code="DEID403", reason=f"cannot write {target}: {error}")
    if not written:
        return FileResult(path, True, target, counts, skipped=True, code="DEID404",
                          reason=f"{target} exists (use --overwrite to replace it)", changes=changes)
    return FileResult(path, True, target, counts, changes=changes)


# A worker's plan and cache, set once per process by the pool's initializer.
_WORKER: dict[str, object] = {}


def _init_worker(plan: Plan, options: BatchOptions) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops the pool
    _WORKER["plan"] = plan
    _WORKER["options"] = options
    _WORKER["matcher"] = Matcher()


def _work(item: tuple[str, str]) -> FileResult:
    plan, options, matcher = _WORKER["plan"], _WORKER["options"], _WORKER["matcher"]
    assert isinstance(plan, Plan) and isinstance(options, BatchOptions) and isinstance(matcher, Matcher)
    return process_file(plan, item[0], item[1], options, matcher)


def run_batch(plan: Plan, inputs: Iterable[tuple[str, str]], options: BatchOptions,
              jobs: int = 1) -> Iterator[FileResult]:
    """Process files (``(path, relative name)`` pairs) in order; yield one result per file."""
    if jobs <= 1:
        matcher = Matcher()
        for path, relative in inputs:
            yield process_file(plan, path, relative, options, matcher)
        return
    context = multiprocessing.get_context("fork" if hasattr(os, "fork") else "spawn")
    with context.Pool(jobs, initializer=_init_worker, initargs=(plan, options)) as pool:
        yield from pool.imap(_work, inputs, chunksize=8)
