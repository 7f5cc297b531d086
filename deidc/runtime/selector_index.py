"""An index of identity-only selectors: which of many selectors select one element, in a few look-ups.

Part of the runtime's "decide once per identity" design: a plan with hundreds of
keyword and tag rules decides a new element identity with a handful of dictionary
look-ups, plus a scan of its pattern (regular-expression) selectors only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from deidc.plan import (
    SelectAll,
    SelectGroup,
    SelectName,
    SelectNothing,
    Selector,
    SelectPath,
    SelectPattern,
    SelectPrivate,
    SelectTag,
    SelectVR,
)
from deidc.runtime.walk import Entry, keyword_of

Check = Callable[[Selector, Entry], bool]


class SelectorIndex:
    """Selectors (each with a number) by the one fact of an element they test."""

    def __init__(self, selectors: Sequence[tuple[int, Selector]]) -> None:
        """Index identity-only selectors; the rest (patterns) are kept to be tried one by one."""
        self.every: list[int] = []
        self.tags: dict[int, list[int]] = {}
        self.keywords: dict[str, list[int]] = {}
        self.names: dict[str, list[int]] = {}
        self.paths: dict[tuple[str, ...], list[int]] = {}
        self.private: dict[tuple[int, int, str], list[int]] = {}
        self.groups: dict[int, list[int]] = {}
        self.vrs: dict[str, list[int]] = {}
        self.patterns: list[tuple[int, SelectPattern]] = []
        self.others: list[tuple[int, Selector]] = []
        for number, selector in selectors:
            match selector:
                case SelectAll():
                    self.every.append(number)
                case SelectTag(tag=tag, keyword=keyword):
                    self.tags.setdefault(tag, []).append(number)
                    if keyword:
                        self.keywords.setdefault(keyword, []).append(number)
                case SelectName(name=name):
                    self.names.setdefault(name, []).append(number)
                case SelectPath(names=names):
                    self.paths.setdefault(names, []).append(number)
                case SelectPrivate(group=group, creator=creator, offset=offset):
                    self.private.setdefault((group, offset, creator.lower()), []).append(number)
                case SelectGroup(group=group):
                    self.groups.setdefault(group, []).append(number)
                case SelectVR(vr=vr):
                    self.vrs.setdefault(vr, []).append(number)
                case SelectNothing():
                    pass
                case SelectPattern():
                    self.patterns.append((number, selector))
                case _:
                    self.others.append((number, selector))

    def lookup(self, entry: Entry, check: Check, name: Callable[[Entry], str],
               patterns: Callable[[Entry, Sequence[tuple[int, SelectPattern]]], list[int]] | None = None) -> list[int]:
        """Return, sorted, the numbers of the selectors that select ``entry``.

        ``patterns`` (optional) tests all pattern selectors on one element at once (it can
        compute the texts they search once); without it each is checked alone.
        """
        tag = entry.tag
        keyword = keyword_of(tag)
        found = list(self.every)
        found += self.tags.get(tag, ())
        if keyword and self.keywords:
            found += self.keywords.get(keyword, ())
        if self.names:
            for text in {keyword.lower(), name(entry).lower(), entry.nested_name.lower()}:
                found += self.names.get(text, ())
        if self.paths:
            found += self.paths.get(tuple(n.lower() for n in entry.names), ())
        if self.private and entry.creator is not None:
            found += self.private.get((tag >> 16, tag & 0xFF, entry.creator.lower()), ())
        found += self.groups.get(tag >> 16, ())
        found += self.vrs.get(entry.vr, ())
        if self.patterns:
            if patterns is not None:
                found += patterns(entry, self.patterns)
            else:
                found += [number for number, selector in self.patterns if check(selector, entry)]
        found += [number for number, selector in self.others if check(selector, entry)]
        return sorted(set(found))
