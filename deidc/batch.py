"""Batches: a plan + many input files → written outputs and one :class:`FileResult` each.

Files stream through: the inputs are read lazily and only a bounded window of files is
in flight at once, so nothing grows with the size of a batch. A worker pool gets the
plan once per worker and takes files a few at a time; results come back in input
order. Every output is written through a temporary file and renamed into place; a file
that fails is reported and the batch goes on.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
from collections import Counter, deque
from collections.abc import Generator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from itertools import islice
from multiprocessing.pool import AsyncResult
from typing import Final

import pydicom
from pydicom.errors import InvalidDicomError

from deidc.dicom.utils import write_atomic
from deidc.plan import Plan
from deidc.runtime import Change, Matcher, StepError, execute

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


def _row(change: Change, with_values: bool) -> tuple[str | None, ...]:
    after = None if change.after is None else str(change.after)
    if not with_values:
        return change.uid, change.keyword, change.action, change.origin, after
    before = None if change.before is None else str(change.before)
    return change.uid, change.keyword, change.action, change.origin, after, before


def process_file(plan: Plan, path: str, relative: str, options: BatchOptions, matcher: Matcher) -> FileResult:
    """Read, de-identify and write one file; never raises for a problem with that file.

    In a dry run with an output folder nothing is written, and the result says where the
    file would go (skipped, when it exists and overwrite is off).
    """
    try:
        dataset = pydicom.dcmread(path, force=options.force)
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
    counts = dict(Counter(c.action for c in result.changes))
    rows = tuple(_row(c, options.record_values) for c in result.changes)
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
        with _deferring_termination():
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
        return process_file(plan, path, relative, options, matcher)
    except Exception as error:  # noqa: BLE001 - one file (e.g. one pydicom cannot parse) never stops a batch
        return FileResult(path, False, code="DEID403", reason=f"unexpected {type(error).__name__}: {error}")


@contextlib.contextmanager
def _deferring_termination() -> Iterator[None]:
    """In a pool worker, hold SIGTERM (the pool stopping) until the write in hand is complete.

    The worker then dies as soon as the write is done, with no temporary file left;
    elsewhere (the caller's process) this does nothing.
    """
    if not _STATE or not hasattr(signal, "pthread_sigmask"):
        yield
        return
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})


#: files in the first task of each worker; each round of tasks (one per worker) doubles it
_FIRST_CHUNK = 1
#: the most files in one task: enough that the pool's per-task cost is small, few enough
#: that the workers finish together and a result is never far behind its file
_MAX_CHUNK = 16
#: tasks in flight per worker (queued or running): keeps every worker busy while the
#: caller consumes results in order, and bounds what the batch holds at once
_AHEAD = 3


@dataclass
class _Worker:
    """A pool worker's state, set once per process by the pool's initializer."""

    plan: Plan
    options: BatchOptions
    matcher: Matcher


_STATE: list[_Worker] = []  # the worker's state (empty in the parent)


def _init_worker(plan: Plan, options: BatchOptions) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops the pool
    _STATE[:] = [_Worker(plan, options, Matcher())]


def _work(chunk: list[tuple[str, str]]) -> list[FileResult]:
    """Process one task (a few files) in a worker; its results go back to the parent in one message."""
    state = _STATE[0]
    return [_process_safely(state.plan, path, relative, state.options, state.matcher) for path, relative in chunk]


def _chunks(inputs: Iterable[tuple[str, str]], jobs: int) -> Iterator[list[tuple[str, str]]]:
    """Cut the inputs into tasks, lazily: small ones first (early results), then larger ones."""
    iterator = iter(inputs)
    size, made = _FIRST_CHUNK, 0
    while chunk := list(islice(iterator, size)):
        yield chunk
        made += 1
        if made % jobs == 0:
            size = min(2 * size, _MAX_CHUNK)


def run_batch(plan: Plan, inputs: Iterable[tuple[str, str]], options: BatchOptions,
              jobs: int = 1) -> Generator[FileResult, None, None]:
    """Process files (``(path, relative name)`` pairs) and yield one result per file, in input order.

    ``inputs`` is consumed lazily, in the caller's thread: with ``jobs > 1`` at most three
    tasks per worker (of 1 file at first, growing to 16) are read ahead of the results the
    caller has taken, so memory does not grow with the number of files or with a slow
    consumer. The workers (``fork`` where available) get the plan and options once, from
    the pool's initializer; a task sends only its paths and its results come back as one
    message. A file that fails, for whatever reason, is reported in its result and the
    batch goes on. Closing the generator early, or an exception in the caller (Ctrl-C),
    stops the workers; a file a worker is writing then is finished first, so no
    temporary file is left behind.
    """
    if jobs <= 1:
        matcher = Matcher()
        for path, relative in inputs:
            yield _process_safely(plan, path, relative, options, matcher)
        return
    context = multiprocessing.get_context("fork" if hasattr(os, "fork") else "spawn")
    with context.Pool(jobs, initializer=_init_worker, initargs=(plan, options)) as pool:
        chunks = _chunks(inputs, jobs)
        pending: deque[AsyncResult[list[FileResult]]] = deque(
            pool.apply_async(_work, (chunk,)) for chunk in islice(chunks, _AHEAD * jobs))
        while pending:
            done = pending.popleft().get()
            pending.extend(pool.apply_async(_work, (chunk,)) for chunk in islice(chunks, 1))
            yield from done
