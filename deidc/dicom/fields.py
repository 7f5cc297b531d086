"""deid's ``deid.dicom.fields`` names: ``DicomField`` and the ``parser.fields`` mapping."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from deidc.runtime.field import DicomField

__all__ = ["DicomField", "FieldsWithLookups"]


class FieldsWithLookups(Mapping[str, DicomField]):
    """The fields of a dataset by uid (``(0010,0020)``, ``(0008,1110)__0__(0008,1155)``).

    A real mapping: ``len``, keys, items, ``in``; it prints like a dict of fields.
    """

    def __init__(self, fields: Mapping[str, DicomField] | None = None) -> None:
        """Hold ``fields`` (uid → field), in order."""
        self.fields: dict[str, DicomField] = dict(fields or {})

    def __getitem__(self, uid: str) -> DicomField:
        """Return the field at ``uid``."""
        return self.fields[uid]

    def __setitem__(self, uid: str, field: DicomField) -> None:
        """Set the field at ``uid``."""
        self.fields[uid] = field

    def __iter__(self) -> Iterator[str]:
        """Iterate over the uids, in order."""
        return iter(self.fields)

    def __len__(self) -> int:
        """Return the number of fields."""
        return len(self.fields)

    def add(self, uid: str, field: DicomField) -> None:
        """Add a field."""
        self.fields[uid] = field

    def remove(self, uid: str) -> None:
        """Remove a field if present."""
        self.fields.pop(uid, None)

    def get_exact_matches(self, name: str) -> dict[str, DicomField]:
        """Return the fields whose keyword, nested name, tag or uid equals ``name`` (any case)."""
        wanted = name.lower()
        return {
            uid: f for uid, f in self.fields.items()
            if wanted in (f.name.lower(), f.keyword.lower(), f.tag.lower(), f.stripped_tag.lower(), uid.lower())
        }

    def __repr__(self) -> str:
        """Print like a dict of fields."""
        return repr(self.fields)

    __str__ = __repr__
