"""Batches: a plan + many input files → written outputs and one :class:`FileResult` each.

Files stream through: the inputs are read lazily and only a bounded window of files is
in flight at once, so nothing grows with the size of a batch. Worker processes get the
plan once each and take files a few at a time; results come back in input order. Every
output is written through a temporary file and renamed into place; a file that fails is
reported and the batch goes on, even when it kills the worker process that had it.
"""

from __future__ import annotations

import functools
import os
from collections import Counter
from collections.abc import Generator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Final

from pydicom.errors import InvalidDicomError

from deidc.dicom.utils import remove_part_files, write_atomic
from deidc.plan import Plan
from deidc.runtime import Matcher, StepError, execute
from deidc.runtime.collector import few_collections
from deidc.runtime.reader import read
from deidc.workers import Work, holding_termination, run_parallel

__all__ = ["CHANGE_KEYS", "BatchOptions", "FileResult", "iter_inputs", "run_batch"]


@dataclass(frozen=True)
class BatchOptions:
    """How a batch runs."""

    output: str | None = None  #: the output folder (None: write nothing)
    variables: Mapping[str, object] = field(default_factory=dict)  #: var: values for every file
    overwrite: bool = False  #: replace existing outputs
    dry_run: bool = False  #: process but write nothing (results say where each file would go)
    strip_sequences: bool = False  #: delete top-level sequences first
    remove_private: bool = False  #: delete private elements first
    force: bool = False  #: read files without the DICM preamble
    record_values: bool = False  #: keep original values in the change record
    #: send each file's change record back (:attr:`FileResult.change_rows`); without it, only the counts
    #: (``deidc run`` needs the record only for ``--record`` and ``-vv``)
    change_rows: bool = True


#: the keys of a change's dict in :attr:`FileResult.changes`, in order ("before" only with record_values)
CHANGE_KEYS: Final = ("element", "keyword", "action", "origin", "after", "before")


@dataclass(frozen=True)
class FileResult:
    """What happened to one input file.

    The change record travels compactly, as :attr:`change_rows` (one tuple of strings per
    change, cheap to send back from a worker process); :attr:`changes` gives it as dicts,
    built on first use.
    """

    path: str  #: the input
    ok: bool  #: processed (and written, unless skipped or a dry run)
    output: str | None = None  #: where it was (or would be) written
    counts: dict[str, int] = field(default_factory=dict)  #: changes by action
    skipped: bool = False  #: the output existed and overwrite was off
    code: str | None = None  #: the diagnostic code of a failure
    reason: str | None = None  #: why it failed
    #: the change record, one row per change: the values of :data:`CHANGE_KEYS`, in order
    #: (5 of them; 6, with the original value, when values are recorded)
    change_rows: tuple[tuple[str | None, ...], ...] = ()

    @cached_property
    def changes(self) -> tuple[dict[str, object], ...]:
        """The change record: one dict per change, with the keys of :data:`CHANGE_KEYS`.

        ``element`` (the address), ``keyword``, ``action``, ``origin`` (``path:line`` of the
        recipe step) and ``after`` (the new value as text, or None), plus ``before`` (the
        original value) only when the batch recorded values.
        """
        return tuple(dict(zip(CHANGE_KEYS, row, strict=False)) for row in self.change_rows)


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


def process_file(plan: Plan, path: str, relative: str, options: BatchOptions, matcher: Matcher) -> FileResult:
    """Read, de-identify and write one file; never raises for a problem with that file.

    In a dry run with an output folder nothing is written, and the result says where the
    file would go (skipped, when it exists and overwrite is off).
    """
    try:
        dataset = read(path, force=options.force)  # what dcmread reads, faster
    except (OSError, InvalidDicomError, ValueError, EOFError, TypeError) as error:
        return FileResult(path, False, code="DEID403", reason=f"cannot read as DICOM: {error}")
    lookup: dict[str, object] = dict(options.variables)
    try:
        result = execute(plan, dataset, lookup, matcher=matcher, strip_sequences=options.strip_sequences,
                         remove_private=options.remove_private, record_values=options.record_values,
                         reuse_raw=True)  # written and dropped: untouched elements are copied as read
    except StepError as error:
        return FileResult(path, False, code="DEID402" if "function" in error.reason else "DEID403",
                          reason=str(error))
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        return FileResult(path, False, code="DEID403", reason=f"{type(error).__name__}: {error}")
    counts = dict(Counter(result.changes.actions()))
    rows = tuple(result.changes.rows(options.record_values)) if options.change_rows else ()
    if options.output is None:
        return FileResult(path, True, None, counts, change_rows=rows)
    target = os.path.join(options.output, relative)
    if options.dry_run:  # where it would go, and whether it would be skipped
        if not options.overwrite and os.path.exists(target):
            return FileResult(path, True, target, counts, skipped=True, code="DEID404",
                              reason=f"{target} exists (use --overwrite to replace it)", change_rows=rows)
        return FileResult(path, True, target, counts, change_rows=rows)
    try:
        os.makedirs(os.path.dirname(target) or ".", exist_ok=True)
        with holding_termination():
            written = write_atomic(dataset, target, options.overwrite)
    except (OSError, ValueError, TypeError) as error:
        return FileResult(path, False, target, counts, code="DEID403", reason=f"cannot write {target}: {error}")
    if not written:
        return FileResult(path, True, target, counts, skipped=True, code="DEID404",
                          reason=f"{target} exists (use --overwrite to replace it)", change_rows=rows)
    return FileResult(path, True, target, counts, change_rows=rows)


def _process_safely(plan: Plan, path: str, relative: str, options: BatchOptions, matcher: Matcher) -> FileResult:
    """:func:`process_file`, with any other exception reported as that file's failure (the batch goes on)."""
    try:
        with few_collections():  # a file's objects are freed before the collector would scan them
            return process_file(plan, path, relative, options, matcher)
    except Exception as error:  # noqa: BLE001 - one file (e.g. one pydicom cannot parse) never stops a batch
        return FileResult(path, False, code="DEID403", reason=f"unexpected {type(error).__name__}: {error}")


def _worker(plan: Plan, options: BatchOptions) -> Work[FileResult]:
    """In a worker process: process files with the batch's plan and options, and a ``Matcher`` of its own."""
    matcher = Matcher()
    return lambda path, relative: _process_safely(plan, path, relative, options, matcher)


def _died(options: BatchOptions, path: str, relative: str, pid: int | None, how: str) -> FileResult:
    """The result of a file whose worker process died; its temporary output, if any, is removed."""
    output = None if options.dry_run else options.output
    if output is not None and pid is not None:  # the file it was writing, if any
        remove_part_files(os.path.dirname(os.path.join(output, relative)) or ".", pid)
    return FileResult(path, False, code="DEID403",
                      reason=f"the worker process died while processing this file ({how})")


def run_batch(plan: Plan, inputs: Iterable[tuple[str, str]], options: BatchOptions,
              jobs: int = 1, limit: float | None = None) -> Generator[FileResult, None, None]:
    """Process files (``(path, relative name)`` pairs) and yield one result per file, in input order.

    With ``jobs > 1``, the files are processed by that many worker processes (``fork``
    where available), which get the plan and options once, when they start; a task sends
    a few paths (1 at first, growing to 16) and each file's result comes back as soon as
    it is done. ``inputs`` is consumed lazily, in the caller's thread: at most three tasks
    per worker are read ahead of the results the caller has taken, so memory does not grow
    with the number of files or with a slow consumer. A file that fails, for whatever
    reason, is reported in its result and the batch goes on; so is a file whose worker
    process dies while processing it (a crash in a library, an out-of-memory kill): its
    result is a DEID403 failure that says how the worker ended, the worker is replaced,
    and the worker's other files are done again. ``limit``: the seconds one file may take
    (None: no limit); a worker still on a file then is killed, and the file is a DEID403
    failure that says so (with a limit, even one job runs in a worker process). Closing the
    generator early, or an exception in the caller (Ctrl-C), stops the workers; a file a
    worker is writing then is finished first, so no temporary file is left behind.
    """
    if jobs <= 1 and limit is None:
        matcher = Matcher()
        for path, relative in inputs:
            yield _process_safely(plan, path, relative, options, matcher)
        return
    yield from run_parallel(functools.partial(_worker, plan, options), functools.partial(_died, options), inputs,
                            max(1, jobs), limit)
