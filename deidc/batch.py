"""Batches: a plan + many input files → written outputs and one :class:`FileResult` each.

Files stream through: the inputs are read lazily and only a bounded window of files is
in flight at once, so nothing grows with the size of a batch. Worker processes get the
plan once each and take files a few at a time; results come back in input order. Every
output is written through a temporary file and renamed into place; a file that fails is
reported and the batch goes on, even when it kills the worker process that had it.
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
from multiprocessing.connection import Connection, wait
from typing import TYPE_CHECKING, Final

import pydicom
from pydicom.errors import InvalidDicomError

from deidc.dicom.utils import remove_part_files, write_atomic
from deidc.plan import Plan
from deidc.runtime import Change, Matcher, StepError, execute
from deidc.runtime.collector import few_collections

if TYPE_CHECKING:
    from multiprocessing.context import ForkContext, SpawnContext

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
        with few_collections():  # a file's objects are freed before the collector would scan them
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
#: the most files in one task: the per-task cost stays small, the workers finish together
_MAX_CHUNK = 16
#: tasks read ahead per worker and not all yielded: keeps every worker busy, bounds what the batch holds
_AHEAD = 3
#: tasks sent to one worker and not yet done (the one in hand and the next, already there)
_DEPTH = 2


@dataclass
class _Worker:
    """A pool worker's state, set once per process."""

    plan: Plan
    options: BatchOptions
    matcher: Matcher


_STATE: list[_Worker] = []  # the worker's state (empty in the parent)


def _serve(conn: Connection, plan: Plan, options: BatchOptions, inherited: list[Connection]) -> None:
    """A worker process: take tasks (a few files) from ``conn``, send back each file's result as soon as it is done.

    File by file, the results of the files done are safe when the worker dies on a later
    one, and the parent knows which file was in hand. ``inherited``: the parent's ends of
    the pipes, copied here by ``fork``, closed so that each pipe has one reader and one
    writer (a worker then sees the parent go, and the parent sees a worker die).
    """
    for other in inherited:
        other.close()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops the workers
    _STATE[:] = [state := _Worker(plan, options, Matcher())]
    with contextlib.suppress(EOFError, OSError):  # the parent is gone (else it stops the worker with SIGTERM)
        while True:
            for path, relative in conn.recv():
                conn.send(_process_safely(state.plan, path, relative, state.options, state.matcher))


def _chunks(inputs: Iterable[tuple[str, str]], jobs: int) -> Iterator[list[tuple[str, str]]]:
    """Cut the inputs into tasks, lazily: small ones first (early results), then larger ones."""
    iterator = iter(inputs)
    size, made = _FIRST_CHUNK, 0
    while chunk := list(islice(iterator, size)):
        yield chunk
        made += 1
        if made % jobs == 0:
            size = min(2 * size, _MAX_CHUNK)


@dataclass(slots=True)
class _Slot:
    """One input file of a parallel batch and, once it is back, its result."""

    path: str
    relative: str
    result: FileResult | None = None


def _death(exitcode: int | None) -> str:
    """Say how a worker process ended, from its exit code (negative: the signal that killed it)."""
    if exitcode is not None and exitcode < 0:
        try:
            return f"killed by signal {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"killed by signal {-exitcode}"
    return f"exit code {exitcode}"


class _Process:
    """A worker process, its pipe, and the tasks sent to it that are not done (files in order of work)."""

    def __init__(self, context: ForkContext | SpawnContext, plan: Plan, options: BatchOptions,
                 others: list[_Process]) -> None:
        self.conn, child = context.Pipe()
        inherited = [self.conn, *(other.conn for other in others)] if context.get_start_method() == "fork" else []
        self.process = context.Process(target=_serve, args=(child, plan, options, inherited), daemon=True)
        self.output = None if options.dry_run else options.output  #: where its files are written
        self.process.start()
        child.close()  # the worker's end lives in the worker only: its death closes the pipe
        self.tasks: deque[deque[_Slot]] = deque()

    def send(self, task: list[_Slot]) -> bool:
        """Give the worker a task; return False when the worker is gone."""
        try:
            self.conn.send([(slot.path, slot.relative) for slot in task])
        except OSError:  # a broken pipe
            return False
        self.tasks.append(deque(task))
        return True

    def receive(self) -> bool:
        """Take one result the worker has sent; return False when the worker is gone."""
        try:
            self._take(self.conn.recv())
        except (EOFError, OSError):  # closed, or cut short by the worker's death
            return False
        return True

    def _take(self, result: FileResult) -> None:
        task = self.tasks[0]
        task.popleft().result = result
        if not task:
            self.tasks.popleft()

    def bury(self) -> list[list[_Slot]]:
        """After the worker's death: take what it sent, fail the file it had in hand, return its other tasks."""
        self.process.join()  # its end of the pipe is closed: what it sent is there, then the end
        with contextlib.suppress(EOFError, OSError):
            while self.conn.poll():
                self._take(self.conn.recv())
        self.conn.close()
        if self.tasks:
            slot = self.tasks[0].popleft()
            slot.result = FileResult(slot.path, False, code="DEID403", reason=(
                f"the worker process died while processing this file ({_death(self.process.exitcode)})"))
            if self.output is not None and self.process.pid is not None:  # the file it was writing, if any
                remove_part_files(os.path.dirname(os.path.join(self.output, slot.relative)) or ".", self.process.pid)
        return [list(task) for task in self.tasks if task]


class _Pool:
    """Worker processes that replace one that dies; the tasks it had not done wait in :attr:`again`."""

    def __init__(self, plan: Plan, options: BatchOptions) -> None:
        self.context: ForkContext | SpawnContext = (
            multiprocessing.get_context("fork") if hasattr(os, "fork") else multiprocessing.get_context("spawn"))
        self.plan, self.options = plan, options
        self.again: deque[list[_Slot]] = deque()  # tasks of a worker that died, to be sent again
        self.workers: list[_Process] = []

    def start(self, jobs: int) -> None:
        """Start ``jobs`` workers."""
        while len(self.workers) < jobs:
            self.workers.append(_Process(self.context, self.plan, self.options, self.workers))

    def idlest(self) -> _Process | None:
        """Return the worker with the fewest tasks, if it has room for one more."""
        worker = min(self.workers, key=lambda w: len(w.tasks))
        return worker if len(worker.tasks) < _DEPTH else None

    def send(self, worker: _Process, task: list[_Slot]) -> None:
        """Give ``worker`` a task (if it is gone, the task waits in :attr:`again`)."""
        if not worker.send(task):
            self.again.appendleft(task)
            self._replace(worker)

    def collect(self) -> None:
        """Wait for results or for the death of a worker, and take them."""
        ready = wait([handle for w in self.workers for handle in (w.conn, w.process.sentinel)])
        for worker in [w for w in self.workers if w.conn in ready or w.process.sentinel in ready]:
            if worker.process.sentinel in ready or not worker.receive():
                self._replace(worker)

    def _replace(self, worker: _Process) -> None:
        self.again.extend(worker.bury())
        others = [w for w in self.workers if w is not worker]
        self.workers[self.workers.index(worker)] = _Process(self.context, self.plan, self.options, others)

    def stop(self) -> None:
        """Stop the workers; one writing a file finishes it first."""
        for worker in self.workers:
            worker.process.terminate()
        for worker in self.workers:
            worker.process.join()
            worker.conn.close()


def _run_parallel(plan: Plan, inputs: Iterable[tuple[str, str]], options: BatchOptions,
                  jobs: int) -> Generator[FileResult, None, None]:
    """:func:`run_batch` with ``jobs`` worker processes (see there)."""
    chunks = _chunks(inputs, jobs)
    window: deque[list[_Slot]] = deque()  # tasks read from the inputs and not all yielded, in input order
    yielded = 0  # results of window[0] yielded
    pool = _Pool(plan, options)
    try:
        pool.start(jobs)
        while True:
            while (worker := pool.idlest()) is not None:
                if pool.again:
                    pool.send(worker, pool.again.popleft())
                elif len(window) < _AHEAD * jobs and (chunk := next(chunks, None)) is not None:
                    window.append([_Slot(path, relative) for path, relative in chunk])
                    pool.send(worker, window[-1])
                else:
                    break
            if not window:
                return
            head = window[0]
            while yielded < len(head) and (result := head[yielded].result) is not None:
                yielded += 1
                yield result
            if yielded == len(head):
                window.popleft()
                yielded = 0
            else:
                pool.collect()
    finally:  # done, closed early, or an exception in the caller (Ctrl-C)
        pool.stop()


def run_batch(plan: Plan, inputs: Iterable[tuple[str, str]], options: BatchOptions,
              jobs: int = 1) -> Generator[FileResult, None, None]:
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
    and the worker's other files are done again. Closing the generator early, or an
    exception in the caller (Ctrl-C), stops the workers; a file a worker is writing then
    is finished first, so no temporary file is left behind.
    """
    if jobs <= 1:
        matcher = Matcher()
        for path, relative in inputs:
            yield _process_safely(plan, path, relative, options, matcher)
        return
    yield from _run_parallel(plan, inputs, options, jobs)
