"""Reading a file as ``pydicom.dcmread`` reads it, faster for the common case.

pydicom reads the elements of a file one by one through a general generator (file reads,
debug checks, deferred and undefined-length values, per-element branches). For a file in
Explicit VR Little Endian (or a compressed syntax, whose elements are encoded so) whose
top-level sequences have defined lengths, which is most of what a batch meets,
:func:`read` reads the preamble and the file meta with pydicom's own functions, then the
elements from the file's bytes with :mod:`struct`, into the same ``RawDataElement``
tuples (down to ``value_tell``), and builds the dataset as pydicom's ``read_dataset`` and
``read_partial`` do. Anything else (another transfer syntax, a sequence of undefined
length, an unknown VR, a truncated element, a command set, an empty body, a file over
:data:`MAX_BYTES`, pydicom's debugging mode) is read by ``dcmread`` itself. A test compares the
two on every file pydicom bundles, deid-data and generated datasets.
"""

from __future__ import annotations

import io
import os
import struct
from typing import Final

import pydicom
from pydicom import config
from pydicom.dataelem import DataElement, RawDataElement, empty_value_for_VR
from pydicom.dataset import FileDataset
from pydicom.filereader import _read_command_set_elements, _read_file_meta_info, read_preamble
from pydicom.fileutil import read_undefined_length_value
from pydicom.tag import BaseTag, SequenceDelimiterTag
from pydicom.uid import DeflatedExplicitVRLittleEndian, ExplicitVRBigEndian, ImplicitVRLittleEndian

from deidc.runtime.rawseq import ELEMENT, LONG_LENGTH_VRS, UNDEFINED_LENGTH, VRS, new_raw
from deidc.runtime.tags import TAGS, base_tag

_HEAD: Final = ELEMENT[True]
_LONG: Final = struct.Struct("<L").unpack_from
_SEQUENCE_END: Final = 0xFFFEE00D
_OTHERS: Final = (ImplicitVRLittleEndian, ExplicitVRBigEndian, DeflatedExplicitVRLittleEndian)
#: files larger than this are read by ``dcmread``: read at once, a file's bytes would be held twice for a while
#: (the whole, and each value cut from it), where pydicom reads value by value
MAX_BYTES: Final = 32 * 1024 * 1024


def read(path: str | os.PathLike[str], force: bool = False) -> FileDataset:
    """Return the dataset ``pydicom.dcmread(path, force=force)`` returns (see the module's docstring)."""
    path = os.fspath(path)
    if not config.debugging:
        with open(path, "rb") as handle:
            preamble = read_preamble(handle, force)
            file_meta = _read_file_meta_info(handle)
            if os.fstat(handle.fileno()).st_size <= MAX_BYTES and _explicit_little(
                    file_meta.get("TransferSyntaxUID")) and not _read_command_set_elements(handle):
                start = handle.tell()
                found = elements(handle.read(), start)
                if found:  # as read_partial makes it (the attributes of read_dataset's own dataset are not kept)
                    read_back = FileDataset(handle, found, preamble, file_meta, False, True)
                    read_back.set_original_encoding(False, True, read_back._character_set)
                    return read_back
    return pydicom.dcmread(path, force=force)


def _explicit_little(syntax: object) -> bool:
    """Return whether pydicom reads a file of this transfer syntax as Explicit VR Little Endian, without inflating it.

    As ``read_partial``: Explicit VR Little Endian itself and every public syntax but the
    implicit, big-endian and deflated ones (the compressed ones: their elements are).
    """
    return syntax is not None and syntax not in _OTHERS and syntax not in pydicom.uid.PrivateTransferSyntaxes


def elements(data: bytes, start: int) -> dict[BaseTag, RawDataElement | DataElement] | None:
    """Return the elements of an Explicit VR Little Endian body as pydicom's reader makes them, by tag.

    ``start``: where ``data`` starts in the file (for ``value_tell``). A value of undefined
    length (encapsulated pixel data) is read by pydicom's own ``read_undefined_length_value``.
    None (pydicom must read it): an element has an unknown VR, a sequence of undefined
    length, a sequence delimiter or a truncated value. As in pydicom, fewer than 8 bytes
    at the end are ignored and a repeated tag keeps its last element, at the place of the
    first.
    """
    found: dict[BaseTag, RawDataElement | DataElement] = {}
    size, position = len(data), 0
    stream: io.BytesIO | None = None
    while size - position >= 8:
        group, number, code, length = _HEAD(data, position)
        vr = VRS.get(code)
        if vr is None:
            return None
        position += 8
        if vr in LONG_LENGTH_VRS:
            if size - position < 4:
                return None
            (length,) = _LONG(data, position)
            position += 4
        tag = group << 16 | number
        key = TAGS.get(tag) or base_tag(tag)
        if length == UNDEFINED_LENGTH and vr not in ("SQ", "UN") and tag != _SEQUENCE_END:
            # encapsulated pixel data, say: read to its delimiter by pydicom's own function
            stream = stream or io.BytesIO(data)
            stream.seek(position)
            try:
                value = read_undefined_length_value(stream, True, SequenceDelimiterTag)
            except (EOFError, ValueError, struct.error):
                return None
            found[key] = new_raw(RawDataElement, (key, vr, length, value, start + position, False, True, True, False))
            position = stream.tell()
            continue
        end = position + length
        if length == UNDEFINED_LENGTH or tag == _SEQUENCE_END or end > size:
            return None
        found[key] = new_raw(RawDataElement, (key, vr, length, data[position:end] if length else empty_value_for_VR(
            vr, raw=True), start + position, False, True, True, False))
        position = end
    return found


__all__ = ["MAX_BYTES", "elements", "read"]
