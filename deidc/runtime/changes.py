"""The record of what a run changed: :class:`Change`, and :class:`ChangeLog`, which makes them when asked.

A run on a heavy file makes hundreds of changes, and a batch needs only a few of their
fields as text; making a frozen ``Change`` (and the element's uid string) for each, as
the run goes, cost about 5 % of a run. The runtime notes each change compactly instead
(the entry, the step's action and origin, the values), and the log makes the ``Change``
objects, all at once, the first time they are read.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, overload

from deidc.runtime.walk import Entry, address_uid

if TYPE_CHECKING:
    from deidc.runtime.workset import Record

#: one change as the runtime notes it: the entry (or the record, for one removed as a record, see
#: :meth:`~deidc.runtime.workset.WorkingSet.drop`), (action, ``path:line``), the value before and after
Noted = tuple["Entry | Record", tuple[str, str], object, object]


@dataclass(frozen=True, slots=True)
class Change:
    """One change the runtime made."""

    uid: str  #: the element's address (deid's uid string)
    keyword: str  #: its keyword ('' for private elements)
    action: str  #: ADD, BLANK, JITTER, REPLACE or REMOVE
    origin: str  #: ``path:line`` of the step that did it
    before: object = None  #: the old value (None when the element was created, or values were not kept)
    after: object = None  #: the new value (None when removed or blanked)
    address: tuple[int, ...] = ()  #: tags and item indexes from the top level
    vr: str = ""  #: the element's VR
    filemeta: bool = False  #: whether it is a file-meta element


def _facts(target: Entry | Record) -> tuple[str, str, tuple[int, ...], str, bool]:
    """Return the uid, keyword, address, VR and file-meta flag of a change's element."""
    if isinstance(target, Entry):
        return target.uid, target.names[-1], target.address, target.vr, target.filemeta
    (_, prefix, filemeta, _), _, node = target
    address = (*prefix, node.tag)
    return address_uid(address), node.names[-1], address, node.vr, filemeta


def _change(noted: Noted) -> Change:
    target, (action, origin), before, after = noted
    uid, keyword, address, vr, filemeta = _facts(target)
    return Change(uid, keyword, action, origin, before, after, address, vr, filemeta)


class ChangeLog(Sequence[Change]):
    """The changes of a run, in order: a read-only sequence of :class:`Change`, made on first use.

    It compares equal to a list of the same changes (or another log). :meth:`actions` and
    :meth:`rows` read the record without making the ``Change`` objects.
    """

    __slots__ = ("_made", "_noted")

    def __init__(self, noted: Sequence[Noted] = ()) -> None:
        """Wrap the runtime's notes (the log reads them when asked, so the runtime adds no more after)."""
        self._noted = noted
        self._made: list[Change] | None = None

    def _changes(self) -> list[Change]:
        if self._made is None:
            self._made = [_change(noted) for noted in self._noted]
        return self._made

    def __len__(self) -> int:
        """Return the number of changes."""
        return len(self._noted)

    @overload
    def __getitem__(self, index: int) -> Change: ...

    @overload
    def __getitem__(self, index: slice) -> list[Change]: ...

    def __getitem__(self, index: int | slice) -> Change | list[Change]:
        """Return a change (or a list of them, for a slice)."""
        return self._changes()[index]

    def __iter__(self) -> Iterator[Change]:
        """Iterate over the changes in order."""
        return iter(self._changes())

    def __eq__(self, other: object) -> bool:
        """Compare with a list of changes, or another log."""
        if isinstance(other, ChangeLog):
            other = other._changes()
        if isinstance(other, list):
            return self._changes() == other
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # compared by content, like a list

    def __repr__(self) -> str:
        """Return the changes as a list's repr."""
        return repr(self._changes())

    def actions(self) -> Iterator[str]:
        """Yield each change's action, in order, without making the changes."""
        for _, said, _, _ in self._noted:
            yield said[0]

    def rows(self, with_values: bool) -> Iterator[tuple[str | None, ...]]:
        """Yield each change as text: uid, keyword, action, origin, the value after (and before, ``with_values``).

        A value is ``str()`` of it, or None.
        """
        for target, (action, origin), before, after in self._noted:
            if isinstance(target, Entry):
                uid, keyword = target.uid, target.names[-1]
            else:
                uid, keyword = _facts(target)[:2]
            row: tuple[str | None, ...] = (uid, keyword, action, origin, None if after is None else str(after))
            yield (*row, None if before is None else str(before)) if with_values else row


__all__ = ["Change", "ChangeLog", "Noted"]
