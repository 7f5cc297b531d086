"""A per-user cache of the built Lark parsers, so that a fresh process does not build them again.

Part of the syntax stage (:mod:`deidc.syntax`). Building the LALR parser of
``grammar/deid.lark`` takes about a quarter of a second (grammar analysis, parse table,
terminal collision checks); loading the same parser from its serialized form takes a few
milliseconds. The first process builds it and saves it with :meth:`lark.Lark.save`; the
next ones load it.

- Where: :func:`cache_dir`, i.e. ``$DEIDC_CACHE_DIR``, else ``$XDG_CACHE_HOME/deidc``, else
  the platform's user cache folder (``~/.cache/deidc`` on Linux). ``DEIDC_NO_PARSER_CACHE=1``
  turns the cache off.
- Keyed by a hash of the grammar text, the options the parser is built with, the versions of
  Lark, deidc and Python, and this file's layout (:data:`FORMAT`): a change to any of them
  names another file, so a stale file is never read. Old files are not removed.
- Safe: a file is written to a temporary name, then renamed (readers never see half a file);
  it is read back with an unpickler that refuses every class and function, so a damaged or
  forged file can hold only data, never code; a file that cannot be read, or a folder that
  cannot be written, makes the parser be built as before, without a word.

Options that are code, not data (``propagate_positions`` given a function), are never saved:
they are given again when the parser is loaded. No Lark object leaves the syntax stage.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import os
import pickle
import sys
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import IO, Any, Final

import lark
from lark import Lark

#: set to anything but ``""`` or ``"0"`` to build the parsers in every process, without a cache
DISABLE_ENV: Final = "DEIDC_NO_PARSER_CACHE"
#: the folder of deidc's cache files, instead of the user's cache folder
DIR_ENV: Final = "DEIDC_CACHE_DIR"
#: the layout of a cache file; a new layout changes every key
FORMAT: Final = 1

_MAGIC: Final = b"deidc-lark-parser"
_NO_OPTIONS: Final[Mapping[str, Any]] = MappingProxyType({})


def cache_dir() -> Path | None:
    """Return the folder of the parser cache, or ``None`` when the cache is off.

    Returns:
        ``$DEIDC_CACHE_DIR``; else ``$XDG_CACHE_HOME/deidc`` (when absolute); else
        ``%LOCALAPPDATA%/deidc`` on Windows, ``~/Library/Caches/deidc`` on macOS and
        ``~/.cache/deidc`` elsewhere. ``None`` when ``$DEIDC_NO_PARSER_CACHE`` is set (and
        not ``0``), or when there is no home folder to put it in.
    """
    if os.environ.get(DISABLE_ENV, "").strip() not in ("", "0"):
        return None
    explicit = os.environ.get(DIR_ENV, "")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    try:
        if xdg and os.path.isabs(xdg):
            base = Path(xdg)
        elif sys.platform == "win32":
            base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
        elif sys.platform == "darwin":
            base = Path.home() / "Library" / "Caches"
        else:
            base = Path.home() / ".cache"
    except (RuntimeError, KeyError, OSError):  # no home folder (e.g. a user without a passwd entry)
        return None
    return base / "deidc"


def _deidc_version() -> str:
    from deidc import __version__  # here, not at the top: deidc/__init__.py imports this module

    return __version__


def cache_key(grammar: str, options: Mapping[str, object], load_options: Mapping[str, object] = _NO_OPTIONS) -> str:
    """Return the hash that names the cache file of one parser.

    Args:
        grammar: the grammar text.
        options: the options the parser is built with, that are saved with it (data only).
        load_options: the options given again at load time (only their names count: they are code).

    Returns:
        A hex SHA-256 of all that, the versions of Lark, deidc and Python, and :data:`FORMAT`.
    """
    parts = (FORMAT, grammar, sorted((k, repr(v)) for k, v in options.items()), sorted(load_options),
             lark.__version__, _deidc_version(), sys.version_info[:2], sys.implementation.name)
    return hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()


def cache_path(folder: Path, name: str, key: str) -> Path:
    """Return the file of the parser ``name`` (``deid``, ``field``) with hash ``key`` in ``folder``."""
    return folder / f"parser-{name}-{key[:32]}.pickle"


class _DataOnly(pickle.Unpickler):
    """An unpickler of plain data: any class or function in the file makes it fail."""

    def find_class(self, module: str, name: str, /) -> Any:
        raise pickle.UnpicklingError(f"a parser cache holds only data, not {module}.{name}")


def load_parser(path: Path, key: str, load_options: Mapping[str, object] = _NO_OPTIONS) -> Lark | None:
    """Load a parser saved by :func:`save_parser`.

    Args:
        path: the cache file.
        key: the hash the file must have been saved under.
        load_options: the options that were not saved (code), given again.

    Returns:
        The parser; ``None`` when the file is missing, of another key, damaged or unreadable.
    """
    try:
        with path.open("rb") as file, collector_paused():
            if file.readline() != _header(key):
                return None
            saved = _DataOnly(file).load()
            parser = Lark._load_from_dict(saved["data"], saved["memo"], **load_options)  # type: ignore[no-untyped-call]
    except Exception:  # any damage is a cache miss: the caller builds the parser instead
        return None
    return parser if isinstance(parser, Lark) else None


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a moment (nested pauses are fine).

    Loading a parser makes some 20,000 objects and no garbage, and so does compiling a recipe (every
    object it drops is freed by its reference count: it makes no reference cycles). Left on, the
    collector tends to run a full collection in the middle (10-15 ms once pydicom's dictionaries are
    in memory), which would cost a recipe's first compile a quarter of its time. The collector's state
    is restored on the way out, even on an exception; a collector that was off stays off.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def save_parser(parser: Lark, path: Path, key: str, load_options: Mapping[str, object] = _NO_OPTIONS) -> bool:
    """Save ``parser`` to ``path`` atomically (a temporary file, then a rename).

    Args:
        parser: a parser built by ``Lark(..., parser="lalr")``.
        path: the cache file; its folder is made (private to the user) when missing.
        key: the hash to write in the file, checked by :func:`load_parser`.
        load_options: the options not to save (code), given again at load time.

    Returns:
        Whether the file was written; ``False`` (and nothing left behind) when it could not be.
    """
    temp = None
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".tmp", dir=path.parent)
        with os.fdopen(handle, "wb") as file:
            _write(parser, file, key, load_options)
        os.replace(temp, path)
    except Exception:  # a read-only or full disk, a folder in the way ...: no cache, no error
        if temp is not None:
            with contextlib.suppress(OSError):
                os.unlink(temp)
        return False
    return True


def _write(parser: Lark, file: IO[bytes], key: str, load_options: Mapping[str, object]) -> None:
    file.write(_header(key))
    parser.save(file, exclude_options=tuple(load_options))


def _header(key: str) -> bytes:
    return _MAGIC + b" " + key.encode("ascii") + b"\n"


def cached_lark(name: str, grammar: str, options: Mapping[str, Any],
                load_options: Mapping[str, Any] = _NO_OPTIONS) -> Lark:
    """Return the LALR parser of ``grammar``: loaded from the cache, or built (then saved there).

    Args:
        name: a short name for the cache file (``deid``, ``field``).
        grammar: the grammar text.
        options: Lark options that are data (``parser="lalr"``, ``maybe_placeholders`` ...).
        load_options: Lark options that are code (``propagate_positions`` as a function); they
            must be among those Lark accepts when loading a parser.

    Returns:
        The parser; the same one, to every parse, whether it was loaded or built. A parser
        loaded from the cache has no ``grammar`` attribute (the strict parsers of
        :mod:`deidc.syntax`, always built, have it).
    """
    folder = cache_dir()
    if folder is None:
        return Lark(grammar, **options, **load_options)
    key = cache_key(grammar, options, load_options)
    path = cache_path(folder, name, key)
    parser = load_parser(path, key, load_options)
    if parser is None:
        parser = Lark(grammar, **options, **load_options)
        save_parser(parser, path, key, load_options)
    return parser
