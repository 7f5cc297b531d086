"""``deidc fmt``: recipe files → formatted recipe files (or a check, or a diff).

The command behind the ``fmt`` entry of :data:`deidc.cli.COMMANDS`. Each file is
formatted by :func:`deidc.fmt.format_text`, which refuses text with syntax errors and
any output that would not mean the same as its input. Files are rewritten in place
through a temporary file and ``os.replace``, so a file is never half-written.

Exit codes (ruff's): 0 when every file is (now) formatted; 1 when ``--check`` or
``--diff`` finds a file that would change; 2 on bad usage, an unreadable file, a
file with syntax errors, or output the formatter refused.
"""

from __future__ import annotations

import argparse
import difflib
import io
import os
import sys
import tempfile
from dataclasses import dataclass, field

from deidc.diagnostics import Diagnostic, render
from deidc.fmt import format_text
from deidc.source import Source

__all__ = ["configure", "run", "write_text_atomic"]


def configure(parser: argparse.ArgumentParser) -> None:
    """Declare the arguments of ``deidc fmt``.

    Args:
        parser: the subcommand's parser.
    """
    parser.add_argument("paths", nargs="+", metavar="PATH",
                        help="recipe files, or folders to search for deid* and *.deid files")
    parser.add_argument("--check", action="store_true",
                        help="change no file; exit with 1 if some file would be reformatted")
    parser.add_argument("--diff", action="store_true",
                        help="change no file; print what would change as a unified diff (exit 1 if anything would)")


def write_text_atomic(path: str, text: str) -> None:
    """Replace a file's text through a temporary file in the same folder and ``os.replace``.

    Args:
        path: the file; its permission bits are kept.
        text: the new text, written as UTF-8 with its line endings as they are.
    """
    folder = os.path.dirname(os.path.abspath(path))
    mode = os.stat(path).st_mode & 0o7777
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".deidc-fmt-", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(text)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


@dataclass
class _Tally:
    """What happened to the files of one run."""

    changed: list[str] = field(default_factory=list)  #: reformatted, or would be
    unchanged: int = 0  #: already formatted
    failed: int = 0  #: not formatted: unreadable, syntax errors, or refused


def _diff(path: str, before: str, after: str) -> str:
    # lines end where the grammar says (\n, \r\n, \r), not where str.splitlines would also cut
    lines = difflib.unified_diff(list(io.StringIO(before, newline="")), list(io.StringIO(after, newline="")),
                                 fromfile=f"{path}\t(original)", tofile=f"{path}\t(formatted)")
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


def _report_errors(diagnostics: tuple[Diagnostic, ...], source: Source) -> None:
    print(render(diagnostics, {source.path: source}) + "\n", file=sys.stderr)
    print(f"deidc: error: {source.path}: not formatted: fix the syntax errors first", file=sys.stderr)


def _one(path: str, args: argparse.Namespace, tally: _Tally) -> None:
    """Format one file (or check it, or diff it), counting the outcome."""
    from deidc.cli import _read  # the CLI's reader: a non-UTF-8 file becomes a DEID007 diagnostic

    read = _read(path)
    if isinstance(read, tuple):
        tally.failed += 1
        _report_errors((read[1],), read[0])
        return
    result = format_text(read.text, path)
    if result.text is None:
        tally.failed += 1
        if result.diagnostics:
            _report_errors(result.diagnostics, read)
        else:
            print(f"deidc: error: {path}: {result.error}", file=sys.stderr)
        return
    if not result.changed:
        tally.unchanged += 1
        return
    tally.changed.append(path)
    if args.diff:
        print(_diff(path, read.text, result.text), end="")
    elif args.check:
        print(f"would reformat {path}")
    else:
        try:
            write_text_atomic(path, result.text)
        except OSError as error:
            tally.changed.pop()
            tally.failed += 1
            print(f"deidc: error: cannot write {path}: {error.strerror or error}", file=sys.stderr)


def _plural(count: int, word: str = "file") -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _summary(tally: _Tally, dry: bool) -> str:
    changed = len(tally.changed)
    verb = "would be reformatted" if dry else "reformatted"
    parts = [f"{_plural(changed)} {verb}", f"{_plural(tally.unchanged)} {'already formatted' if dry else 'unchanged'}"]
    if tally.failed:
        parts.append(f"{_plural(tally.failed)} could not be formatted")
    return ", ".join(parts)


def run(args: argparse.Namespace) -> int:
    """Run ``deidc fmt``: format, check or diff every recipe named.

    Args:
        args: ``paths``, ``check`` and ``diff``.

    Returns:
        0, 1 (``--check``/``--diff`` found a file to reformat) or 2 (a file could not be
        read or formatted).
    """
    from deidc.cli import _expand  # files and folders, expanded as ``deidc lint`` does

    files = _expand(args.paths)
    if not files:
        print("deidc: warning: no recipe files found (deid* or *.deid)", file=sys.stderr)
    tally = _Tally()
    for path in files:
        _one(path, args, tally)
    dry = bool(args.check or args.diff)
    print(_summary(tally, dry), file=sys.stderr)
    if tally.failed:
        return 2
    return 1 if dry and tally.changed else 0

