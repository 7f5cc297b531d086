"""pydicom's ``BaseTag`` for each tag, made once: the readers make one per element otherwise."""

from __future__ import annotations

from pydicom.tag import BaseTag

#: the tags met in files and sequences' items, as pydicom's ``BaseTag`` (made once each: see :func:`base_tag`)
TAGS: dict[int, BaseTag] = {}


def base_tag(tag: int) -> BaseTag:
    """Return a tag as a ``BaseTag``, made once and kept for the next element of that tag (up to 65,536 tags).

    Callers look in :data:`TAGS` first (a dict look-up is cheaper than making one); a
    ``BaseTag`` is an int and never changes, so elements may share it.
    """
    made = TAGS.get(tag)
    if made is None:
        if len(TAGS) >= 65536:
            TAGS.clear()
        made = TAGS[tag] = BaseTag(tag)
    return made


__all__ = ["TAGS", "base_tag"]
