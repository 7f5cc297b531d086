"""The working set of one dataset, made in one walk, with an :class:`Entry` only where one is needed.

The walk visits every element at every depth (deid's order: top-level elements in tag
order, then file-meta elements, then the elements of sequence items, level by level).
What a plan decides for an element depends on its identity (keyword path, tag, VR,
private creator) for most steps, and a batch meets the same identities in every file. So
each identity is looked up once per batch in a :class:`Context` (one per keyword path: the
identities met in the containers at that path), and an element that no identity-only
step, list line or KEEP selects, and that is neither a sequence nor a Specific Character
Set, stays a plain tuple (a *record*, see :data:`Record`) in the working set. So does one
that only REMOVEs without a condition and BLANKs select, which nothing spares from the
REMOVEs: the runtime blanks and removes it as a record (:mod:`deidc.runtime.records`;
:attr:`WorkingSet.removed`). (Only an element whose VR is in the file stays a
record: one whose VR must be looked up, in an implicit VR file, is an entry each time, as
its VR may differ.) A record becomes an ``Entry`` when something needs it: a ``values:``
list that finds it, a step that selects by value or address, an ADD of the same tag, or
the caller asking for the whole working set (:meth:`WorkingSet.everything`). Made late,
an entry is the one the walk would have made: the same element, container and address
(and removed, if its record was).

Without a plan (:func:`walk`, the deid-compatible API) every element is an entry at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Final, Union

from pydicom.dataelem import DataElement, RawDataElement
from pydicom.dataset import Dataset

from deidc.runtime import rawseq
from deidc.runtime.rawseq import LazyItem
from deidc.runtime.walk import DEFAULT_SKIP, Entry, keyword_of, members, private_creator, skip_tags

_CHARSET: Final = 0x00080005

#: where a container's elements live: (container, its address prefix, whether it is the file meta, its sequence's entry)
Place = tuple[Dataset | LazyItem, tuple[int, ...], bool, Entry | None]
#: an element left a record: (its place, the element as stored in its container (raw or not), its identity)
Record = tuple[Place, DataElement | RawDataElement, "Node"]
Slot = Union[Entry, Record]  # noqa: UP007 - a runtime alias (the | form needs the class, not the string)
#: decides an identity from its first entry: (what goes in ``Entry.decided``, whether the element may stay a record,
#: whether a KEEP selects it)
Decide = Callable[[Entry], tuple[tuple[object, object] | None, bool, bool]]


class Node:
    """One element identity met at one keyword path, and what the plan decides for it."""

    __slots__ = ("child", "creator", "decided", "idle", "kept", "names", "tag", "vr")

    def __init__(self, names: tuple[str, ...], tag: int, vr: str, creator: str | None,
                 decided: tuple[object, object] | None, idle: bool, kept: bool = False) -> None:
        """Record the identity and its decision."""
        self.names = names  #: the keyword path
        self.tag = tag  #: the tag
        self.vr = vr  #: the VR
        self.creator = creator  #: the private creator, if private
        self.decided = decided  #: the runtime's (index, decision), as ``Entry.decided``
        #: no identity-only step (but REMOVEs without a condition and BLANKs, when nothing spares it from
        #: the REMOVEs), line or KEEP selects it: it may stay a record
        self.idle = idle
        self.kept = kept  #: a KEEP selects it (by identity)
        self.child: Context | None = None  #: the context of its items, if it is a sequence


class Context:
    """The identities met in the containers at one keyword path, during one batch."""

    __slots__ = ("names", "nodes", "others")

    def __init__(self, names: tuple[str, ...] = ()) -> None:
        """Start empty at a keyword path."""
        self.names = names  #: the keyword path of the containers (``()`` at the top level)
        self.nodes: dict[int, Node] = {}  #: the last identity met for each tag
        self.others: dict[tuple[int, str | None, str | None], Node] = {}  #: every identity met

    def find(self, tag: int, vr: str | None, creator: str | None) -> Node | None:
        """Return the node of an identity met before (and make it the one first tried for its tag)."""
        node = self.others.get((tag, vr, creator))
        if node is not None:
            self.nodes[tag] = node
        return node

    def learn(self, entry: Entry, decide: Decide | None) -> Node:
        """Decide a new identity from its first entry (``decide``: the plan's decision; None: it is an entry)."""
        decided, idle, kept = decide(entry) if decide is not None else (None, False, False)
        node = Node(entry.names, entry.tag, entry.vr, entry.creator, decided,
                    idle and entry.vr != "SQ" and entry.tag != _CHARSET, kept)
        self.nodes[entry.tag] = self.others[(entry.tag, entry.vr, entry.creator)] = node
        return node

    def child(self, node: Node) -> Context:
        """Return the context of a sequence's items."""
        if node.child is None:
            node.child = Context(node.names)
        return node.child


class WorkingSet:
    """The elements of one dataset, in deid's order: entries, and records not needed as entries yet."""

    __slots__ = ("active", "removed", "slots", "_all")

    def __init__(self) -> None:
        """Start empty."""
        self.slots: list[Slot] = []  #: every element, in order (an entry's ``slot`` is its position here)
        self.active: list[Entry] = []  #: the entries made by the walk (not by :meth:`entry`), in order
        #: the positions of the records the runtime removed as records (REMOVEs without a condition)
        self.removed: set[int] = set()
        self._all: list[Entry] | None = None

    def entry(self, slot: int) -> Entry:
        """Return the entry at a position, making it from its record the first time."""
        found = self.slots[slot]
        if isinstance(found, Entry):
            return found
        (container, prefix, filemeta, up), stored, node = found
        raw = stored if isinstance(stored, RawDataElement) else None
        entry = Entry((*prefix, node.tag), None if raw is not None else stored, container, node.names, filemeta,  # type: ignore[arg-type]
                      node.creator, up, node.vr, raw)
        entry.decided = node.decided
        entry.slot = slot
        entry.alive = slot not in self.removed
        self.slots[slot] = entry
        return entry

    def everything(self) -> list[Entry]:
        """Return every element as an entry, in order (records become entries)."""
        if self._all is None or len(self._all) != len(self.slots):
            self._all = [self.entry(slot) for slot in range(len(self.slots))]
        return self._all

    def made(self) -> Iterator[Entry]:
        """Yield the entries made so far (not the records), in order."""
        for found in self.slots:
            if isinstance(found, Entry):
                yield found

    def append(self, entry: Entry) -> None:
        """Add an entry made after the walk (by ADD) at the end."""
        entry.slot = len(self.slots)
        self.slots.append(entry)

    def top_level(self, tag: int) -> Entry | None:
        """Return the first live top-level (or file-meta) entry of a tag, making it from its record if needed."""
        for slot, found in enumerate(self.slots):
            if isinstance(found, Entry):
                if found.tag == tag and len(found.address) == 1 and found.live:
                    return found
            elif found[2].tag == tag and not found[0][1]:
                entry = self.entry(slot)
                if entry.live:
                    return entry
        return None

    def hide(self, tags: set[int], addresses: set[tuple[int, ...]]) -> None:
        """Leave out the elements of these tags (at any depth) and addresses, with everything inside them.

        The others are numbered anew. A record is never hidden by its address (an address
        selector makes every element an entry), and is never a sequence.
        """
        kept: list[Slot] = []
        hidden: set[tuple[int, ...]] = set()  # the addresses of the hidden entries (sequences among them)
        for found in self.slots:
            if isinstance(found, Entry):
                address = found.address
                if found.tag in tags or address in addresses or address[:-2] in hidden:
                    hidden.add(address)
                    continue
                found.slot = len(kept)
            elif found[2].tag in tags or found[0][1][:-1] in hidden:
                continue
            kept.append(found)
        self.slots = kept
        self.active = [found for found in kept if isinstance(found, Entry)]
        self._all = None


def _declares_charset(members: rawseq.Members) -> bool:
    """Return whether an item's elements (in tag order) hold a Specific Character Set."""
    for tag, _ in members:  # it comes before nearly every other tag: look until a later one
        if tag >= _CHARSET:
            return tag == _CHARSET
    return False


def build(dataset: Dataset, skip: frozenset[str] = DEFAULT_SKIP, defer: bool = False,
          trees: list[rawseq.Tree] | None = None, root: Context | None = None,
          decide: Decide | None = None, hide: bool = False) -> WorkingSet:
    """Walk a dataset into its working set, leaving out skipped elements.

    Elements are not converted from their raw form unless they are sequences (to walk
    into) or their VR is not recorded in the file. ``root``: the top-level context of a
    plan's batch (:meth:`deidc.runtime.select.Matcher.context`), ``decide``: decides an
    identity met for the first time (:meth:`deidc.runtime.select.Matcher.classify`);
    without it every element is an entry. ``defer``: the items of sequences read from bytes may be
    edited and read without converting them (see :class:`~deidc.runtime.rawseq.Tree`);
    each tree that allows it is added to ``trees``, whose owner calls
    :meth:`~deidc.runtime.rawseq.Tree.release` on it when done. ``hide``: leave out what a
    KEEP selects by identity (``decide`` says so), with what is inside it, and at any depth
    the elements of a tag kept at the top level (what :meth:`WorkingSet.hide` leaves out).
    """
    skipped: frozenset[int] | set[int] = skip_tags(skip) if skip else frozenset()
    if hide:
        skipped = set(skipped)  # the tags kept at the top level join them (the top level is walked first)
    if root is None:
        root = Context()
    working = WorkingSet()
    slots, active = working.slots, working.active
    queue: list[tuple[Dataset | LazyItem, tuple[int, ...], Context, bool, Entry | None]] = [
        (dataset, (), root, False, None)]
    meta = getattr(dataset, "file_meta", None)
    if meta is not None:
        queue.append((meta, (), root, True, None))
    head = 0
    while head < len(queue):
        container, prefix, context, filemeta, up = queue[head]
        head += 1
        place = (container, prefix, filemeta, up)
        nodes = context.nodes
        lazy = isinstance(container, LazyItem)
        creators: dict[int, str | None] = {}
        for number, stored in members(container):
            if number in skipped:
                continue
            vr = stored.VR
            creator = None
            if number >> 16 & 1 and number & 0xFFFF >= 0x1000:
                block = number >> 8
                if block not in creators:
                    creators[block] = (container.creator(number) if lazy  # type: ignore[union-attr]
                                       else private_creator(container, number))  # type: ignore[arg-type]
                creator = creators[block]
            node = nodes.get(number)
            if node is None or node.vr != vr or node.creator != creator:
                node = context.find(number, vr, creator)
            if node is not None and node.idle:  # the same VR: neither a sequence nor a VR to look up
                slots.append((place, stored, node))
                continue
            if hide and node is not None and node.kept and node.vr == vr:  # kept (before its items are read)
                if not prefix:
                    skipped.add(number)  # type: ignore[union-attr]
                continue
            element: DataElement | None = None
            raw: RawDataElement | None = None
            items: list[rawseq.RawItem] | None = None
            if isinstance(stored, RawDataElement):
                raw = stored
                if vr == "SQ":
                    items = rawseq.read_items(stored)
                if items is None and (vr is None or vr == "SQ"):
                    holder: Dataset = container.resolve() if isinstance(container, LazyItem) else container
                    element = holder[number]
                    vr = element.VR
            else:
                element = stored
            if node is None or node.vr != vr:  # not met, or its VR was looked up: perhaps met with that VR
                node = context.find(number, vr, creator)
            address = (*prefix, number)
            names = node.names if node is not None else (*context.names, keyword_of(number))
            entry = Entry(address, element, container, names, filemeta, creator, up, vr, raw)
            if node is None:
                node = context.learn(entry, decide)
            if hide and node.kept:  # (met for the first time, or its VR looked up)
                if not prefix:
                    skipped.add(number)  # type: ignore[union-attr]
                continue
            entry.decided = node.decided
            entry.slot = len(slots)
            slots.append(entry)
            active.append(entry)
            if items is not None:
                inner = context.child(node)
                if lazy:
                    tree = container.tree  # type: ignore[union-attr]
                else:
                    tree = rawseq.Tree(entry, defer)
                    if defer and trees is not None:
                        trees.append(tree)
                lazy_items = [LazyItem(entry, index, item, tree) for index, item in enumerate(items)]
                if defer:  # the links a rebuild follows (they make cycles: Tree.release breaks them)
                    if lazy:
                        container.link(number, lazy_items)  # type: ignore[union-attr]
                    else:
                        tree.items = lazy_items
                    if any(_declares_charset(item.members) for item in items):
                        tree.plain = False  # new values would need the item's own character set
                for index, item_of in enumerate(lazy_items):
                    queue.append((item_of, (*address, index), inner, False, entry))
            elif vr == "SQ" and element is not None and element.value is not None:
                inner = context.child(node)
                for index, item in enumerate(element.value):
                    queue.append((item, (*address, index), inner, False, entry))
    return working


def walk(dataset: Dataset, skip: frozenset[str] = DEFAULT_SKIP, defer: bool = False,
         trees: list[rawseq.Tree] | None = None) -> Iterator[Entry]:
    """Yield the whole working set of a dataset in deid's order, every element an entry (see :func:`build`)."""
    yield from build(dataset, skip, defer, trees).slots  # type: ignore[misc]


__all__ = ["Context", "Node", "Slot", "WorkingSet", "build", "walk"]
