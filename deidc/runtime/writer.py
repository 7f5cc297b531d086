"""Writing a dataset as ``Dataset.save_as`` writes it, faster when most elements are still as read.

pydicom writes every element through the same general routine, with a buffer object per
element, also when the element is still the raw bytes it read (then it copies them). A
batch's output is mostly such elements (deidc puts untouched ones back in their raw form,
and rebuilds a changed sequence's bytes), so here the dataset's top-level elements are
written in one pass: a raw element as its tag, VR and length followed by its bytes, every
other element by pydicom's own ``write_data_element``, and the preamble and file meta by
pydicom's ``dcmwrite`` itself. The bytes are those ``save_as(path, enforce_file_format=False)``
writes (a test compares them on pydicom's files, deid-data and generated datasets).

Only what is sure to be written that way takes this path: a public, non-deflated transfer
syntax in the file meta, the dataset read in that encoding, its character set unchanged,
and no command or file-meta elements in it. Anything else goes to ``save_as``.
"""

from __future__ import annotations

import functools
import struct
from typing import BinaryIO, Final

from pydicom.charset import default_encoding
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import dcmwrite, write_data_element
from pydicom.tag import BaseTag, tag_in_exception
from pydicom.uid import DeflatedExplicitVRLittleEndian

from deidc.runtime.rawseq import LONG_HEAD, LONG_LENGTH_VRS, SHORT_HEAD, UNDEFINED_LENGTH
from deidc.runtime.reader import MAX_BYTES

_PIXEL_DATA: Final = 0x7FE00010
_PIXEL_KEY: Final = BaseTag(_PIXEL_DATA)
_HEAD_IMPLICIT: Final = struct.Struct("<HHL").pack
_GROUP_LENGTH: Final = 0x00020000
_GROUP_LENGTH_HEAD: Final = functools.partial(struct.Struct("<HH2sHL").pack, 2, 0, b"UL", 4)  # + the length



def _encoding(dataset: Dataset) -> tuple[bool, bool] | None:
    """Return the (implicit VR, little endian) a fast write would use, or None when ``save_as`` must write."""
    meta = getattr(dataset, "file_meta", None)
    syntax = meta.get("TransferSyntaxUID") if meta is not None else None
    if syntax is None or syntax.is_private or not syntax.is_transfer_syntax \
            or syntax == DeflatedExplicitVRLittleEndian:
        return None
    encoding = (bool(syntax.is_implicit_VR), bool(syntax.is_little_endian))
    if dataset.original_encoding != encoding or dataset.original_character_set != dataset._character_set:
        return None  # pydicom would convert elements (another encoding, or a new character set)
    if encoding == (True, False) or any(tag >> 16 in (0, 2) for tag in dataset._dict):
        return None  # dcmwrite refuses these: let it say so
    preamble = getattr(dataset, "preamble", None)
    if preamble and len(preamble) != 128:
        return None
    return encoding


def body(dataset: Dataset, implicit: bool, little: bool, leave_out: int | None = None) -> bytes:
    """Return the dataset's elements encoded as pydicom's ``write_dataset`` encodes them (same encoding as read).

    ``leave_out``: a tag not to write.
    """
    out = DicomBytesIO()
    out.is_implicit_VR, out.is_little_endian = implicit, little
    encodings = dataset.get("SpecificCharacterSet", default_encoding)  # as write_dataset
    stored = dataset._dict
    short, long = SHORT_HEAD[little], LONG_HEAD[little]
    write = out.write
    for tag in sorted(stored):
        number = int(tag)
        if number & 0xFFFF == 0 and number >> 16 > 6 or number == leave_out:
            continue  # retired group lengths are not written
        element = stored[tag]
        if isinstance(element, RawDataElement) and element.value is not None \
                and element.length != UNDEFINED_LENGTH and (implicit or element.VR is not None):
            value = element.value
            if implicit:  # (always little endian)
                write(_HEAD_IMPLICIT(number >> 16, number & 0xFFFF, len(value)))
                write(value)
                continue
            else:
                vr = str(element.VR)  # not None (checked above)
                if vr in LONG_LENGTH_VRS:
                    write(long(number >> 16, number & 0xFFFF, vr.encode("ascii"), len(value)))
                    write(value)
                    continue
                if len(value) <= 0xFFFF:
                    write(short(number >> 16, number & 0xFFFF, vr.encode("ascii"), len(value)))
                    write(value)
                    continue
        with tag_in_exception(tag):  # anything else as pydicom writes it
            write_data_element(out, dataset.get_item(tag), encodings)
    return out.getvalue()


def _head(dataset: Dataset) -> bytes | None:
    """Return the preamble and the file meta as ``dcmwrite`` writes them, or None to let it write them.

    As pydicom's ``write_file_meta_info`` (``enforce_standard=False``): the file meta's
    elements in explicit VR little endian, the group length (if there is one) giving the
    length of the others. Only for a file meta read from a file and not re-encoded.
    """
    preamble = getattr(dataset, "preamble", None)
    start = preamble + b"DICM" if preamble else b""
    meta = dataset.file_meta
    stored = meta._dict
    if meta.original_encoding != (False, True) or meta.original_character_set != meta._character_set \
            or any(tag >> 16 != 2 for tag in stored):
        return None
    length = stored.get(BaseTag(_GROUP_LENGTH))
    if length is not None and length.VR != "UL":
        return None
    rest = body(meta, False, True, leave_out=_GROUP_LENGTH)
    if length is None:
        return start + rest
    return start + _GROUP_LENGTH_HEAD(len(rest)) + rest


def save(dataset: Dataset, target: str | BinaryIO) -> None:
    """Write ``dataset`` to a path or a binary file as ``dataset.save_as(target, enforce_file_format=False)`` would.

    A dataset whose pixel data (as read) is over :data:`~deidc.runtime.reader.MAX_BYTES`
    is written by ``save_as`` too, element by element: built in memory first, its bytes
    would be held twice.
    """
    encoding = _encoding(dataset)
    if encoding is None or _size(dataset) > MAX_BYTES:
        dataset.save_as(target, enforce_file_format=False)
        return
    syntax = dataset.file_meta.TransferSyntaxUID
    if "PixelData" in dataset:  # as dcmwrite: encapsulated pixel data has an undefined length
        dataset["PixelData"].is_undefined_length = syntax.is_compressed
    head = _head(dataset)
    data = body(dataset, *encoding)
    if isinstance(target, str):
        with open(target, "wb") as handle:
            _write(handle, dataset, head, data)
    else:
        _write(target, dataset, head, data)


def _size(dataset: Dataset) -> int:
    """Return the length of the dataset's pixel data still as read (the bulk of what a file holds), or 0."""
    pixels = dataset._dict.get(_PIXEL_KEY)
    if isinstance(pixels, RawDataElement) and isinstance(pixels.value, bytes):
        return len(pixels.value)
    return 0


def _write(handle: BinaryIO, dataset: Dataset, head: bytes | None, data: bytes) -> None:
    if head is None:  # the preamble and file meta written by dcmwrite itself, for a dataset without elements
        shell = Dataset()
        shell.file_meta = dataset.file_meta
        shell.preamble = getattr(dataset, "preamble", None)
        dcmwrite(handle, shell, enforce_file_format=False)
    else:
        handle.write(head)
    handle.write(data)


__all__ = ["body", "save"]
