"""Worker processes for a batch: files in, one result per file out, in input order, whatever happens to a worker.

:func:`run_parallel` starts ``jobs`` processes (``fork`` where available), each of which
makes its own work function once (``setup``, e.g. a plan's runner with its own caches) and
then takes tasks of a few files from its pipe, sending each file's result back as soon as
it is done. The inputs are read lazily and a bounded window of tasks is in flight, so
nothing grows with the size of a batch. A worker that dies is replaced; the file it had
in hand gets the result ``died`` makes, and its other files are done again.

This module knows nothing of DICOM or plans: :mod:`deidc.batch` gives it the work.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import selectors
import signal
import time
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Final, Generic, TypeVar

if TYPE_CHECKING:
    from multiprocessing.context import ForkContext, SpawnContext

__all__ = ["Died", "Setup", "Work", "holding_termination", "run_parallel"]

R = TypeVar("R")
#: processes one file: ``(path, relative name)`` → its result (it must not raise)
Work = Callable[[str, str], R]
#: makes a worker's work function, once, in the worker process (picklable where ``fork`` is missing)
Setup = Callable[[], Work[R]]
#: the result of the file a worker had in hand when it died: ``(path, relative name, the worker's pid,
#: how it ended)`` (it may also clean up what the worker left)
Died = Callable[[str, str, int | None, str], R]

#: files in the first task of each worker; each round of tasks (one per worker) doubles it
_FIRST_CHUNK: Final = 1
#: the most files in one task: the per-task cost stays small, the workers finish together
_MAX_CHUNK: Final = 16
#: tasks read ahead per worker and not all yielded: keeps every worker busy, bounds what the batch holds
_AHEAD: Final = 3
#: tasks sent to one worker and not yet done (the one in hand and the next, already there)
_DEPTH: Final = 2

_IN_WORKER: list[bool] = []  # [True] in a worker process (empty in the parent)


@contextlib.contextmanager
def holding_termination() -> Iterator[None]:
    """In a worker process, hold SIGTERM (the pool stopping) until the block (a file's write) is complete.

    The worker then dies as soon as the block is done, with nothing half written; in any
    other process this does nothing.
    """
    if not _IN_WORKER or not hasattr(signal, "pthread_sigmask"):
        yield
        return
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})


def _serve(conn: Connection, setup: Setup[R], inherited: list[Connection]) -> None:
    """A worker process: take tasks (a few files) from ``conn``, send back each file's result as soon as it is done.

    File by file, the results of the files done are safe when the worker dies on a later
    one, and the parent knows which file was in hand. ``inherited``: the parent's ends of
    the pipes, copied here by ``fork``, closed so that each pipe has one reader and one
    writer (a worker then sees the parent go, and the parent sees a worker die).
    """
    for other in inherited:
        other.close()
    # What fork copied from the parent (modules, dictionaries, the plan) lives as long as the
    # worker: frozen, the collector never walks it, and so never writes to (and copies) its pages.
    gc.freeze()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops the workers
    _IN_WORKER[:] = [True]
    work = setup()
    with contextlib.suppress(EOFError, OSError):  # the parent is gone (else it stops the worker with SIGTERM)
        while True:
            for path, relative in conn.recv():
                conn.send(work(path, relative))


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
class _Slot(Generic[R]):
    """One input file of a parallel batch and, once it is back, its result."""

    path: str
    relative: str
    result: R | None = None


def death(exitcode: int | None) -> str:
    """Say how a worker process ended, from its exit code (negative: the signal that killed it)."""
    if exitcode is not None and exitcode < 0:
        try:
            return f"killed by signal {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"killed by signal {-exitcode}"
    return f"exit code {exitcode}"


class _Process(Generic[R]):
    """A worker process, its pipe, and the tasks sent to it that are not done (files in order of work)."""

    def __init__(self, context: ForkContext | SpawnContext, setup: Setup[R], died: Died[R],
                 others: list[_Process[R]]) -> None:
        self.conn, child = context.Pipe()
        inherited = [self.conn, *(other.conn for other in others)] if context.get_start_method() == "fork" else []
        self.process = context.Process(target=_serve, args=(child, setup, inherited), daemon=True)
        self.died = died
        self.process.start()
        child.close()  # the worker's end lives in the worker only: its death closes the pipe
        self.tasks: deque[deque[_Slot[R]]] = deque()
        self.since = time.monotonic()  #: when the file in hand was started (its task sent, or the last result)
        self.limit: float | None = None  #: the time limit per file it was stopped for, if it was

    def send(self, task: list[_Slot[R]]) -> bool:
        """Give the worker a task; return False when the worker is gone."""
        try:
            self.conn.send([(slot.path, slot.relative) for slot in task])
        except OSError:  # a broken pipe
            return False
        if not self.tasks:
            self.since = time.monotonic()
        self.tasks.append(deque(task))
        return True

    def stop_late(self, limit: float, now: float) -> float | None:
        """Kill the worker if the file in hand has taken ``limit`` seconds; return the seconds it has left.

        None: it has no file in hand (or was just stopped: its death is on the way).
        """
        if not self.tasks or self.limit is not None:
            return None
        left = self.since + limit - now
        if left > 0:
            return left
        self.limit = limit
        self.process.kill()  # SIGKILL: a worker stuck in a library may not even see SIGTERM
        return None

    def receive(self) -> bool:
        """Take one result the worker has sent; return False when the worker is gone."""
        try:
            self._take(self.conn.recv())
        except (EOFError, OSError):  # closed, or cut short by the worker's death
            return False
        return True

    def _take(self, result: R) -> None:
        task = self.tasks[0]
        task.popleft().result = result
        if not task:
            self.tasks.popleft()
        self.since = time.monotonic()  # the next file (if any) starts now

    def bury(self) -> list[list[_Slot[R]]]:
        """After the worker's death: take what it sent, fail the file it had in hand, return its other tasks."""
        self.process.join()  # its end of the pipe is closed: what it sent is there, then the end
        with contextlib.suppress(EOFError, OSError):
            while self.conn.poll():
                self._take(self.conn.recv())
        self.conn.close()
        if self.tasks:
            slot = self.tasks[0].popleft()
            how = (f"stopped after the time limit of {self.limit:g} s per file" if self.limit is not None
                   else death(self.process.exitcode))
            slot.result = self.died(slot.path, slot.relative, self.process.pid, how)
        return [list(task) for task in self.tasks if task]


class _Pool(Generic[R]):
    """Worker processes that replace one that dies; the tasks it had not done wait in :attr:`again`."""

    def __init__(self, setup: Setup[R], died: Died[R], limit: float | None = None) -> None:
        self.context: ForkContext | SpawnContext = (
            multiprocessing.get_context("fork") if hasattr(os, "fork") else multiprocessing.get_context("spawn"))
        self.setup, self.died = setup, died
        self.limit = limit  #: seconds a worker may spend on one file (None: no limit)
        self.again: deque[list[_Slot[R]]] = deque()  # tasks of a worker that died, to be sent again
        self.workers: list[_Process[R]] = []
        #: every worker's pipe and sentinel, registered once (not a new selector for each wait)
        self.selector = selectors.DefaultSelector()

    def start(self, jobs: int) -> None:
        """Start ``jobs`` workers."""
        while len(self.workers) < jobs:
            self.workers.append(self._watch(_Process(self.context, self.setup, self.died, self.workers)))

    def _watch(self, worker: _Process[R]) -> _Process[R]:
        self.selector.register(worker.conn, selectors.EVENT_READ, worker)
        self.selector.register(worker.process.sentinel, selectors.EVENT_READ, worker)
        return worker

    def idlest(self) -> _Process[R] | None:
        """Return the worker with the fewest tasks, if it has room for one more."""
        worker = min(self.workers, key=lambda w: len(w.tasks))
        return worker if len(worker.tasks) < _DEPTH else None

    def send(self, worker: _Process[R], task: list[_Slot[R]]) -> None:
        """Give ``worker`` a task (if it is gone, the task waits in :attr:`again`)."""
        if not worker.send(task):
            self.again.appendleft(task)
            self._replace(worker)

    def collect(self) -> None:
        """Wait for results or for the death of a worker, and take them."""
        wait = None
        if self.limit is not None:  # wake up when the next file would reach the limit; stop those that did
            now = time.monotonic()
            left = [found for w in self.workers if (found := w.stop_late(self.limit, now)) is not None]
            wait = min(left, default=None)
        ready: dict[_Process[R], bool] = {}  # the workers with something to take: whether it is their death
        for key, _ in self.selector.select(wait):
            ready[key.data] = ready.get(key.data, False) or key.fileobj == key.data.process.sentinel
        for worker, dead in ready.items():
            if dead or not worker.receive():
                self._replace(worker)

    def _replace(self, worker: _Process[R]) -> None:
        self.selector.unregister(worker.conn)
        self.selector.unregister(worker.process.sentinel)
        self.again.extend(worker.bury())
        others = [w for w in self.workers if w is not worker]
        self.workers[self.workers.index(worker)] = self._watch(_Process(self.context, self.setup, self.died, others))

    def stop(self) -> None:
        """Stop the workers; one writing a file finishes it first."""
        for worker in self.workers:
            worker.process.terminate()
        for worker in self.workers:
            worker.process.join()
            worker.conn.close()
        self.selector.close()


def run_parallel(setup: Setup[R], died: Died[R], inputs: Iterable[tuple[str, str]],
                 jobs: int, limit: float | None = None) -> Generator[R, None, None]:
    """Process ``(path, relative name)`` pairs in ``jobs`` worker processes; yield their results in input order.

    ``setup`` makes each worker's work function (see :data:`Setup`); ``died`` the result of
    a file whose worker died (see :data:`Died`). ``limit``: the seconds a worker may spend
    on one file; a worker still on it then is killed, and the file's result is ``died``'s,
    with how ``stopped after the time limit of … s per file``. Closing the generator early,
    or an exception in the caller, stops the workers (see :func:`holding_termination`).
    """
    chunks = _chunks(inputs, jobs)
    window: deque[list[_Slot[R]]] = deque()  # tasks read from the inputs and not all yielded, in input order
    yielded = 0  # results of window[0] yielded
    pool = _Pool(setup, died, limit)
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
