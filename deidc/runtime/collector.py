"""Fewer garbage collections while one file is processed.

A run makes thousands of small container objects per file (entries, records, change
records), nearly all freed by reference counting when the file is done: none is part of
a reference cycle (a run breaks the ones it makes, see ``rawseq.Tree.release``). CPython
still starts a collection of its youngest generation every 700 such objects, and every
tenth or hundredth one goes through older generations, which hold everything pydicom
and deidc have loaded (tens of thousands of objects): on the benchmark's CT-sized and
heavy files that was 15-20 % of a batch's time, for no garbage. Inside
:func:`few_collections` the youngest generation's threshold is raised for the time one
file takes, then put back, so a file's objects are freed before the collector counts
them. The collector stays enabled: any garbage is collected as usual, only later.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator
from typing import Final

#: the youngest generation's threshold while a file is processed (CPython's own is 700)
FILE_THRESHOLD: Final = 20_000


@contextlib.contextmanager
def few_collections() -> Iterator[None]:
    """Raise the youngest generation's collection threshold for the block (see the module's docstring).

    Nothing changes when the collector is disabled, its threshold is already as high, or
    the block is inside another :func:`few_collections`; on leaving, the threshold is put
    back unless something in the block set another.
    """
    first, second, third = gc.get_threshold()
    if not gc.isenabled() or first == 0 or first >= FILE_THRESHOLD:
        yield
        return
    gc.set_threshold(FILE_THRESHOLD, second, third)
    try:
        yield
    finally:
        if gc.get_threshold() == (FILE_THRESHOLD, second, third):
            gc.set_threshold(first, second, third)


__all__ = ["FILE_THRESHOLD", "few_collections"]
