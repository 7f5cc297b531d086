"""What the runtime's equivalence tests share: the three benchmark recipes, their variables, bundled files.

Imported by the test modules as ``samples`` (pytest puts ``tests/`` on the path, as for
``oracle``).
"""

from __future__ import annotations

import io
from pathlib import Path

import pydicom
from pydicom.data import get_charset_files, get_testdata_file
from pydicom.dataset import FileMetaDataset
from pydicom.uid import ExplicitVRBigEndian, ImplicitVRLittleEndian, generate_uid

ROOT = Path(__file__).resolve().parent.parent
#: the user's example, the benchmark's expander-heavy recipe and deidc's default, by name
RECIPE_PATHS: dict[str, Path] = {
    "groups": ROOT / "examples" / "deid" / "deid.dicom-groups",
    "expanders": ROOT / "benchmarks" / "recipes" / "deid.expanders",
    "default": ROOT / "deidc" / "data" / "recipes" / "deid.dicom",
}
#: the same recipes' texts
RECIPE_TEXTS: dict[str, str] = {name: path.read_text(encoding="utf-8") for name, path in RECIPE_PATHS.items()}
#: a value for every ``var:`` those recipes use
VARIABLES: dict[str, object] = {"id": "ID-1", "source_id": "SRC-1", "entity_id": "E1", "item_id": "I1",
                                "entity_timestamp": "20200101", "item_timestamp": "20200101"}

TEST_FILES = Path(str(get_testdata_file("CT_small.dcm"))).parent
CHARSET_FILES = Path(str(get_charset_files("chrH31.dcm")[0])).parent
#: every file pydicom bundles (its test and character-set files; none downloaded)
BUNDLED_FILES = sorted(str(p) for p in [*TEST_FILES.rglob("*.dcm"), *CHARSET_FILES.glob("*.dcm")])


def with_meta(dataset: pydicom.Dataset, syntax: str) -> bytes:
    """Give a dataset a file meta of ``syntax`` and a preamble; return it written in that encoding."""
    dataset.file_meta = FileMetaDataset()
    dataset.file_meta.TransferSyntaxUID = syntax
    dataset.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    dataset.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    dataset.preamble = b"\x00" * 128
    out = io.BytesIO()
    dataset.save_as(out, enforce_file_format=False, implicit_vr=syntax == ImplicitVRLittleEndian,
                    little_endian=syntax != ExplicitVRBigEndian)
    return out.getvalue()
