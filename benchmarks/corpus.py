"""A reproducible synthetic DICOM corpus for benchmarks.

Profiles (element counts include nested elements, as a recipe sees them):

- ``small``: ~40 elements, a patient/study/series/image header and pixel data.
- ``ct``: ~200 elements, nested sequences (2 levels) and private blocks with creators.
- ``heavy``: 600+ elements, an SR-like content tree 4 levels deep, many private tags.

Values look like PHI (names, IDs, dates, times, UIDs, free text), some elements are
multi-valued, and the same seed always writes the same bytes.

deid 0.4.13 crashes when a ``values:`` list matches text inside a sequence (it replaces the
sequence with a string) or when a listed value is not a valid regex. So the corpus keeps
list-worthy values unique: PatientID pieces (``SMH1^1234567``) and operators' names (with
an ``RT`` suffix) appear in no sequence, and no sequence holds a PatientID. Files are written as
Explicit VR Little Endian with file meta, through ``save_as(..., enforce_file_format=True)``.

    python benchmarks/corpus.py --profile ct --files 200 --seed 1 --out /tmp/corpus-ct
"""

from __future__ import annotations

import argparse
import os
import random
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
from pydicom.datadict import DicomDictionary, dictionary_VM, dictionary_VR, tag_for_keyword
from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian

__all__ = ["PROFILES", "Profile", "count_elements", "make_dataset", "write_corpus"]

FILES_PER_STUDY = 50  #: consecutive files share a patient and a study
FILES_PER_SERIES = 25  #: and a series

FIRST = ["John", "Jane", "Maria", "José", "Wei", "Aisha", "Olivia", "Liam", "Noah", "Emma", "Ahmed", "Sofia",
         "Lukas", "Chen", "Priya", "Mateo", "Hannah", "Yuki", "Omar", "Zoë"]
LAST = ["Smith", "Doe", "Garcia", "Müller", "Nguyen", "Okafor", "Rossi", "Kowalski", "Haddad", "Tanaka", "Brown",
        "Johansson", "Silva", "Dubois", "O'Neil", "Kim", "Novak", "Patel", "Ivanova", "Fischer"]
WORDS = ["patient", "reports", "pain", "follow-up", "contrast", "allergy", "history", "referred", "by", "scan",
         "chest", "abdomen", "lesion", "stable", "prior", "study", "compared", "with", "noted", "mild"]
INSTITUTIONS = ["St. Mary Hospital", "General University Clinic", "Riverside Imaging Center", "Mercy Medical"]
CITIES = ["Springfield", "Lyon", "Osaka", "Porto", "Krakow", "Austin"]
SITES = ["SMH1", "GUC2", "RIC3", "MMC4"]  #: site codes in PatientID, found nowhere else
CREATORS = ["GEMS_IDEN_01", "GEMS_ACQU_01", "SIEMENS CSA HEADER", "PHILIPS MR IMAGING DD 001", "ACME RESEARCH 1.0",
            "TOSHIBA_MEC_CT3", "AGFA", "HOLOGIC, Inc.", "MITRA OBJECT UTF8 ATTRIBUTES 1.0", "ELSCINT1"]
PRIVATE_VRS = ["LO", "LO", "SH", "DS", "IS", "US", "UL", "SL", "FD", "DA", "TM", "PN", "UI", "OB", "LT"]
FILLER_GROUPS = {0x0008, 0x0010, 0x0012, 0x0018, 0x0020, 0x0032, 0x0038, 0x0040}
FILLER_VRS = {"AE", "AS", "CS", "DA", "DS", "DT", "FD", "FL", "IS", "LO", "LT", "PN", "SH", "SL", "SS", "ST", "TM",
              "UC", "UI", "UL", "UR", "US", "UT"}


@dataclass(frozen=True)
class Profile:
    """How large and how nested the files of a profile are."""

    filler: int  #: extra top-level elements drawn from the data dictionary
    references: int  #: items in ReferencedImageSequence / SourceImageSequence
    requests: int  #: items of RequestAttributesSequence (each with a nested code sequence)
    private_blocks: int  #: top-level private blocks (each with a creator)
    private_elements: int  #: elements per private block
    content_depth: int  #: depth of the SR-like ContentSequence tree (0: none)
    content_breadth: int  #: children per CONTAINER node of that tree
    nested_private: bool  #: whether sequence items carry private blocks too


PROFILES: dict[str, Profile] = {
    "small": Profile(0, 0, 0, 0, 0, 0, 0, False),
    "ct": Profile(50, 3, 2, 4, 10, 0, 0, False),
    "heavy": Profile(140, 6, 3, 12, 16, 4, 3, True),
}


# -- values -------------------------------------------------------------------------------------


def uid(rng: random.Random) -> str:
    """Return a random but valid UID under the 2.25 root."""
    return f"2.25.{rng.getrandbits(118)}"


def person(rng: random.Random) -> str:
    """Return a PN value: ``Last^First^Middle-initial``."""
    return f"{rng.choice(LAST)}^{rng.choice(FIRST)}^{rng.choice('ABCDEFGHJKLMNPRSTW')}"


def date(rng: random.Random, start: int = 1930, end: int = 2024) -> str:
    """Return a DA value."""
    return f"{rng.randint(start, end)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"


def time(rng: random.Random) -> str:
    """Return a TM value with fractions."""
    return f"{rng.randint(0, 23):02d}{rng.randint(0, 59):02d}{rng.randint(0, 59):02d}.{rng.randint(0, 999999):06d}"


def text(rng: random.Random, words: int = 12) -> str:
    """Return free text that names people, dates and IDs, as clinicians write it."""
    body = " ".join(rng.choice(WORDS) for _ in range(words))
    name = f"{rng.choice(FIRST)} {rng.choice(LAST).upper()}"
    return f"{name} {body}; seen {date(rng, 2015)} by Dr. {rng.choice(LAST)}, MRN {rng.randint(10**6, 10**7 - 1)}."


def short_id(rng: random.Random, prefix: str = "") -> str:
    """Return an ID that fits SH (16 characters)."""
    return f"{prefix}{rng.randint(10**5, 10**8 - 1)}"[:16]


def _vm_count(vm: str, rng: random.Random) -> int:
    if vm.isdigit():
        return int(vm)
    low = vm.split("-")[0]
    return rng.randint(int(low) if low.isdigit() else 1, 3) if "n" in vm or "-" in vm else 1


def _one(vr: str, rng: random.Random) -> object:
    simple: dict[str, Callable[[], object]] = {
        "AE": lambda: rng.choice(["CT_SCANNER_01", "PACS_MAIN", "MR3T", "WORKSTN7"]),
        "AS": lambda: f"{rng.randint(1, 99):03d}Y",
        "CS": lambda: rng.choice(["ORIGINAL", "PRIMARY", "AXIAL", "YES", "NO", "HFS", "CT", "NONE", "STANDARD"]),
        "DA": lambda: date(rng, 2000),
        "DS": lambda: f"{rng.uniform(-500, 500):.4f}",
        "DT": lambda: f"{date(rng, 2010)}{time(rng)}",
        "FD": lambda: rng.uniform(-1e3, 1e3),
        "FL": lambda: float(np.float32(rng.uniform(-1e3, 1e3))),
        "IS": lambda: rng.randint(-1000, 100000),
        "LO": lambda: rng.choice([f"{rng.choice(INSTITUTIONS)}", short_id(rng, "ACC"), f"{rng.choice(CITIES)} site",
                                  text(rng, 3)[:64]]),
        "LT": lambda: text(rng, 30),
        "PN": lambda: person(rng),
        "SH": lambda: short_id(rng, rng.choice(["", "ID", "RQ"])),
        "SL": lambda: rng.randint(-(2**31), 2**31 - 1),
        "SS": lambda: rng.randint(-(2**15), 2**15 - 1),
        "ST": lambda: text(rng, 20),
        "TM": lambda: time(rng),
        "UC": lambda: text(rng, 6),
        "UI": lambda: uid(rng),
        "UL": lambda: rng.randint(0, 2**32 - 1),
        "UR": lambda: f"https://pacs.example.org/studies/{uid(rng)}",
        "US": lambda: rng.randint(0, 2**16 - 1),
        "UT": lambda: text(rng, 40),
        "OB": lambda: bytes(rng.getrandbits(8) for _ in range(16)),
    }
    return simple[vr]()


def value(vr: str, vm: str, rng: random.Random) -> object:
    """Return a valid value for ``vr`` with as many items as ``vm`` allows (1-3 for ``1-n``)."""
    count = 1 if vr in ("LT", "ST", "UT", "UR", "OB") else _vm_count(vm, rng)
    values = [_one(vr, rng) for _ in range(count)]
    return values[0] if count == 1 else values


def _set(ds: Dataset, keyword: str, val: object) -> None:
    tag = tag_for_keyword(keyword)
    assert tag is not None, keyword
    ds.add_new(tag, dictionary_VR(tag), val)


def _fill(ds: Dataset, keyword: str, rng: random.Random) -> None:
    tag = tag_for_keyword(keyword)
    assert tag is not None, keyword
    ds.add_new(tag, dictionary_VR(tag), value(dictionary_VR(tag), dictionary_VM(tag), rng))


# -- building blocks ----------------------------------------------------------------------------


def filler_keywords(profile: str, count: int, seed: int) -> list[str]:
    """Return the extra keywords of a profile: the same for every file of one corpus."""
    used = set(CORE) | set(PIXEL_MODULE) | {"ContentSequence"}
    candidates = sorted(
        entry[4] for tag, entry in DicomDictionary.items()
        if tag >> 16 in FILLER_GROUPS and entry[0] in FILLER_VRS and not entry[3] and entry[4] and entry[4] not in used
    )
    return sorted(random.Random(f"{seed}-schema-{profile}").sample(candidates, count))


CORE = ["SpecificCharacterSet", "ImageType", "InstanceCreationDate", "InstanceCreationTime", "SOPClassUID",
        "SOPInstanceUID", "StudyDate", "SeriesDate", "AcquisitionDate", "ContentDate", "StudyTime", "SeriesTime",
        "AcquisitionTime", "ContentTime", "AccessionNumber", "Modality", "Manufacturer", "InstitutionName",
        "InstitutionAddress", "ReferringPhysicianName", "StationName", "StudyDescription", "SeriesDescription",
        "PerformingPhysicianName", "OperatorsName", "ManufacturerModelName", "PatientName", "PatientID",
        "IssuerOfPatientID", "PatientBirthDate", "PatientSex", "OtherPatientIDs", "PatientAge", "PatientWeight",
        "PatientComments", "StudyInstanceUID", "SeriesInstanceUID", "StudyID", "SeriesNumber", "InstanceNumber",
        "FrameOfReferenceUID", "ImagePositionPatient", "ImageOrientationPatient"]
#: left out of profiles without filler (``small``)
EXTENDED = ["InstanceCreationDate", "InstanceCreationTime", "SeriesDate", "AcquisitionDate", "SeriesTime",
            "AcquisitionTime", "IssuerOfPatientID", "OtherPatientIDs", "PatientWeight", "PatientComments",
            "InstitutionAddress", "FrameOfReferenceUID", "ImagePositionPatient", "ImageOrientationPatient",
            "StationName", "ManufacturerModelName", "StudyID"]
PIXEL_MODULE = ["SamplesPerPixel", "PhotometricInterpretation", "Rows", "Columns", "PixelSpacing", "BitsAllocated",
                "BitsStored", "HighBit", "PixelRepresentation", "WindowCenter", "WindowWidth", "RescaleIntercept",
                "RescaleSlope", "PixelData"]


def _patient(seed: int, index: int) -> dict[str, object]:
    """Return what one patient's and one study's files share."""
    rng = random.Random(f"{seed}-patient-{index // FILES_PER_STUDY}")
    series = random.Random(f"{seed}-series-{index // FILES_PER_SERIES}")
    operator = f"{rng.choice(LAST)}^{rng.choice(FIRST)}^^^RT"  # a suffix no other name has (see the docstring)
    return {
        "PatientName": person(rng), "PatientID": f"{rng.choice(SITES)}^{rng.randint(10**6, 10**7 - 1)}",
        "IssuerOfPatientID": rng.choice(INSTITUTIONS), "PatientBirthDate": date(rng, 1930, 2010),
        "PatientSex": rng.choice("MFO"), "OtherPatientIDs": [short_id(rng, "OP"), short_id(rng, "X")],
        "PatientAge": f"{rng.randint(1, 95):03d}Y", "PatientWeight": f"{rng.uniform(3, 120):.1f}",
        "PatientComments": text(rng, 15), "StudyDate": date(rng, 2015), "StudyTime": time(rng),
        "AccessionNumber": short_id(rng, "ACC"), "StudyInstanceUID": uid(rng), "StudyID": short_id(rng, "S"),
        "ReferringPhysicianName": person(rng), "OperatorsName": [operator, person(rng)],
        "PerformingPhysicianName": operator, "InstitutionName": rng.choice(INSTITUTIONS),
        "InstitutionAddress": f"{rng.randint(1, 999)} Main St, {rng.choice(CITIES)}",
        "StudyDescription": f"CT {rng.choice(['CHEST', 'ABDOMEN', 'HEAD'])} W/O CONTRAST",
        "SeriesInstanceUID": uid(series), "FrameOfReferenceUID": uid(series),
        "SeriesNumber": series.randint(1, 20), "SeriesDescription": f"AXIAL {series.choice(['1.25', '2.5', '5'])}mm",
    }


def _code(rng: random.Random) -> Dataset:
    item = Dataset()
    _set(item, "CodeValue", f"{rng.randint(10000, 999999)}")
    _set(item, "CodingSchemeDesignator", rng.choice(["DCM", "SCT", "LN", "99LOCAL"]))
    _set(item, "CodeMeaning", " ".join(rng.choice(WORDS) for _ in range(3)).title())
    return item


def _reference(rng: random.Random) -> Dataset:
    item = Dataset()
    _set(item, "ReferencedSOPClassUID", CTImageStorage)
    _set(item, "ReferencedSOPInstanceUID", uid(rng))
    return item


def _private(ds: Dataset, group: int, creator: str, count: int, rng: random.Random) -> None:
    block = ds.private_block(group, creator, create=True)
    for offset in range(count):
        vr = PRIVATE_VRS[(offset + group) % len(PRIVATE_VRS)]
        block.add_new(offset, vr, value(vr, "1-n" if offset % 5 == 0 else "1", rng))


def _request(rng: random.Random, nested_private: bool) -> Dataset:
    item = Dataset()
    _set(item, "RequestedProcedureID", short_id(rng, "RP"))
    _set(item, "ScheduledProcedureStepDescription", text(rng, 4)[:64])
    _set(item, "ScheduledProtocolCodeSequence", Sequence([_code(rng)]))
    _set(item, "ScheduledProcedureStepID", short_id(rng, "SPS"))
    _set(item, "RequestingPhysician", person(rng))
    if nested_private:
        _private(item, 0x0041, "ACME RESEARCH 1.0", 4, rng)
    return item


def _content(rng: random.Random, depth: int, breadth: int, nested_private: bool) -> Dataset:
    """Return one node of an SR-like tree: a CONTAINER with children, or a leaf with a value."""
    item = Dataset()
    _set(item, "RelationshipType", "CONTAINS")
    kind = "CONTAINER" if depth > 1 else rng.choice(["TEXT", "PNAME", "DATETIME", "UIDREF", "DATE"])
    _set(item, "ValueType", kind)
    _set(item, "ConceptNameCodeSequence", Sequence([_code(rng)]))
    leaf = {"TEXT": ("TextValue", lambda: text(rng, 25)), "PNAME": ("PersonName", lambda: person(rng)),
            "DATETIME": ("DateTime", lambda: f"{date(rng, 2015)}{time(rng)}"), "UIDREF": ("UID", lambda: uid(rng)),
            "DATE": ("Date", lambda: date(rng, 2015))}
    if kind == "CONTAINER":
        _set(item, "ContinuityOfContent", "SEPARATE")
        children = [_content(rng, depth - 1, breadth, nested_private) for _ in range(breadth)]
        _set(item, "ContentSequence", Sequence(children))
    else:
        keyword, make = leaf[kind]
        _set(item, keyword, make())
    if nested_private and depth == 2:
        _private(item, 0x0071, "ACME RESEARCH 1.0", 3, rng)
    return item


# -- files --------------------------------------------------------------------------------------


def make_dataset(profile: str, index: int, seed: int = 1, pixels: int = 64) -> FileDataset:
    """Build file number ``index`` of a corpus (same arguments, same dataset)."""
    spec = PROFILES[profile]
    rng = random.Random(f"{seed}-{profile}-file-{index}")
    meta = FileMetaDataset()
    sop = uid(rng)
    meta.MediaStorageSOPClassUID = CTImageStorage
    meta.MediaStorageSOPInstanceUID = sop
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = "1.2.826.0.1.3680043.10.1153.1"
    meta.ImplementationVersionName = "DEIDC_BENCH_1"
    ds = FileDataset(f"IM{index:05d}.dcm", {}, file_meta=meta, preamble=b"\0" * 128)
    shared = _patient(seed, index)
    for keyword in CORE:
        if keyword in shared:
            _set(ds, keyword, shared[keyword])
    _set(ds, "SpecificCharacterSet", "ISO_IR 100")
    _set(ds, "ImageType", ["ORIGINAL", "PRIMARY", "AXIAL"])
    _set(ds, "SOPClassUID", CTImageStorage)
    _set(ds, "SOPInstanceUID", sop)
    for keyword in ("InstanceCreationDate", "SeriesDate", "AcquisitionDate", "ContentDate"):
        _set(ds, keyword, shared["StudyDate"])
    for keyword in ("InstanceCreationTime", "SeriesTime", "AcquisitionTime", "ContentTime"):
        _set(ds, keyword, time(rng))
    _set(ds, "Modality", "CT")
    _set(ds, "Manufacturer", rng.choice(["GE MEDICAL SYSTEMS", "SIEMENS", "Philips", "TOSHIBA"]))
    _set(ds, "ManufacturerModelName", rng.choice(["LightSpeed VCT", "SOMATOM Force", "iCT 256"]))
    _set(ds, "StationName", f"CT{rng.randint(1, 9):02d}")
    _set(ds, "InstanceNumber", index % FILES_PER_SERIES + 1)
    _set(ds, "ImagePositionPatient", ["-250.0", "-250.0", f"{-(index % FILES_PER_SERIES) * 2.5:.1f}"])
    _set(ds, "ImageOrientationPatient", ["1", "0", "0", "0", "1", "0"])
    for keyword in filler_keywords(profile, spec.filler, seed):
        _fill(ds, keyword, rng)
    if spec.references:
        _set(ds, "ReferencedImageSequence", Sequence([_reference(rng) for _ in range(spec.references)]))
        _set(ds, "SourceImageSequence", Sequence([_reference(rng) for _ in range(spec.references // 2 or 1)]))
        _set(ds, "ProcedureCodeSequence", Sequence([_code(rng)]))
        _set(ds, "AnatomicRegionSequence", Sequence([_code(rng)]))
    if spec.requests:
        _set(ds, "RequestAttributesSequence", Sequence([_request(rng, spec.nested_private)
                                                        for _ in range(spec.requests)]))
        _set(ds, "ReferencedStudySequence", Sequence([_reference(rng)]))
    for number in range(spec.private_blocks):
        group = [0x0009, 0x0019, 0x0021, 0x0029, 0x0043, 0x0045][number % 6]
        _private(ds, group, CREATORS[number % len(CREATORS)], spec.private_elements, rng)
    if spec.content_depth:
        root = _content(rng, spec.content_depth, spec.content_breadth, spec.nested_private)
        _set(ds, "ContentSequence", root.ContentSequence)
    if not spec.filler:
        for keyword in EXTENDED:
            delattr(ds, keyword)
    _pixels(ds, pixels, random.Random(f"{seed}-pixels-{index}"))
    return ds


def _pixels(ds: Dataset, size: int, rng: random.Random) -> None:
    if size <= 0:
        return
    for keyword, val in (("SamplesPerPixel", 1), ("PhotometricInterpretation", "MONOCHROME2"), ("Rows", size),
                         ("Columns", size), ("PixelSpacing", ["0.703125", "0.703125"]), ("BitsAllocated", 16),
                         ("BitsStored", 12), ("HighBit", 11), ("PixelRepresentation", 0), ("WindowCenter", "40"),
                         ("WindowWidth", "400"), ("RescaleIntercept", "-1024"), ("RescaleSlope", "1")):
        _set(ds, keyword, val)
    array = np.random.default_rng(rng.getrandbits(32)).integers(0, 4096, (size, size), dtype=np.uint16)
    ds.add_new(0x7FE00010, "OW", array.tobytes())


def count_elements(ds: Dataset) -> int:
    """Count the elements of a dataset, nested ones included (file meta excluded)."""
    total = 0
    for element in ds:
        total += 1
        if element.VR == "SQ":
            total += sum(count_elements(item) for item in element.value)
    return total


def write_corpus(profile: str, files: int, out: str, seed: int = 1, pixels: int = 64) -> Iterator[str]:
    """Write ``files`` files of ``profile`` into ``out``; yield each path."""
    os.makedirs(out, exist_ok=True)
    for index in range(files):
        path = os.path.join(out, f"IM{index:05d}.dcm")
        make_dataset(profile, index, seed, pixels).save_as(path, enforce_file_format=True)
        yield path


def main(argv: list[str] | None = None) -> int:
    """Command line: write a corpus."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", choices=sorted(PROFILES), default="ct")
    parser.add_argument("--files", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pixels", type=int, default=64, help="rows = columns of the uint16 image (0: none)")
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    written = list(write_corpus(args.profile, args.files, args.out, args.seed, args.pixels))
    sample = make_dataset(args.profile, 0, args.seed, args.pixels)
    size = os.path.getsize(written[0]) if written else 0
    print(f"{len(written)} files in {args.out}: profile {args.profile}, {count_elements(sample)} elements "
          f"per file, ~{size // 1024} KiB each", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
