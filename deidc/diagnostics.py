"""Diagnostics as data, and their renderings: ``Diagnostic`` → text, JSON or SARIF.

Rendering is a pure function of diagnostics and sources; nothing here prints.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Final

from deidc.codes import REGISTRY, Code, Severity
from deidc.source import NO_SPAN, Source, Span


@dataclass(frozen=True, slots=True, kw_only=True)
class Diagnostic:
    """One problem found in a recipe (or in a run's inputs)."""

    code: str  #: ``DEIDnnn`` from :mod:`deidc.codes`
    severity: Severity  #: error, warning or note
    message: str  #: what is wrong: lowercase, no final period
    span: Span = NO_SPAN  #: where (the smallest span that shows it)
    path: str = "<string>"  #: the recipe file
    help: str | None = None  #: how to fix it
    suggestions: tuple[str, ...] = ()  #: replacement candidates (did-you-mean)
    label: str | None = None  #: a short label under the carets

    @property
    def name(self) -> str:
        """Return the code's kebab-case name."""
        return REGISTRY[self.code].name

    @property
    def is_error(self) -> bool:
        """Return whether this diagnostic stops the recipe from running."""
        return self.severity is Severity.ERROR


def make(
    code: Code,
    message: str,
    span: Span,
    *,
    path: str = "<string>",
    help: str | None = None,
    suggestions: Sequence[str] = (),
    label: str | None = None,
) -> Diagnostic:
    """Build a diagnostic of a registered code with its default severity."""
    if suggestions and help is None:
        help = "did you mean " + " or ".join(f"'{s}'" for s in suggestions) + "?"
    return Diagnostic(
        code=code.code,
        severity=code.severity,
        message=message,
        span=span,
        path=path,
        help=help,
        suggestions=tuple(suggestions),
        label=label,
    )


def with_path(diagnostics: Iterable[Diagnostic], path: str) -> list[Diagnostic]:
    """Return the diagnostics with their file set to ``path``."""
    return [replace(d, path=path) for d in diagnostics]


def sort_key(d: Diagnostic) -> tuple[str, int, int, str]:
    """Order diagnostics by file, line, column and code."""
    return (d.path, d.span.line, d.span.column, d.code)


#: the most diagnostics of one file that text output shows (as many as the syntax errors a parse reports)
MAX_SHOWN_PER_FILE: Final = 100


def cap_per_file(
    diagnostics: Iterable[Diagnostic], limit: int = MAX_SHOWN_PER_FILE,
) -> tuple[list[Diagnostic], dict[str, list[Diagnostic]]]:
    """Split diagnostics into those to show, at most ``limit`` per file, and those left out.

    Errors come first: of a file with more than ``limit`` diagnostics, its errors (the first
    ``limit`` of them) are shown before any warning or note, so that a cap never hides that a
    recipe has errors.

    Args:
        diagnostics: the diagnostics, in any order.
        limit: the most to show per file (at least 1).

    Returns:
        The diagnostics to show, sorted (:func:`sort_key`), and those left out, sorted, by file
        (only files with some left out).
    """
    if limit < 1:
        raise ValueError(f"limit must be >= 1: {limit!r}")
    by_path: dict[str, list[Diagnostic]] = {}
    for d in diagnostics:
        by_path.setdefault(d.path, []).append(d)
    shown: list[Diagnostic] = []
    hidden: dict[str, list[Diagnostic]] = {}
    for path, found in by_path.items():
        if len(found) > limit:
            found.sort(key=lambda d: (not d.is_error, sort_key(d)))
            found, hidden[path] = found[:limit], sorted(found[limit:], key=sort_key)
        shown += found
    shown.sort(key=sort_key)
    return shown, hidden


def _location(d: Diagnostic) -> str:
    if d.span.line:
        return f"{d.path}:{d.span.line}:{d.span.column}"
    return d.path


def render_concise(d: Diagnostic) -> str:
    """Render one diagnostic on one line."""
    text = f"{_location(d)}: {d.severity.value}[{d.code}]: {d.message}"
    if d.suggestions:
        text += f" — did you mean '{d.suggestions[0]}'?"
    return text


def render_full(d: Diagnostic, source: Source | None) -> str:
    """Render one diagnostic with the source line, carets and help (rustc's layout)."""
    lines = [f"{_location(d)}: {d.severity.value}[{d.code}]: {d.message}"]
    if source is not None and d.span.line:
        number = str(d.span.line)
        gutter = " " * len(number)
        raw = source.line(d.span.line)
        text = raw.expandtabs(4)
        start_col = len(raw[: d.span.column - 1].expandtabs(4))
        if d.span.end_line == d.span.line:
            end_col = len(raw[: max(d.span.end_column - 1, d.span.column - 1)].expandtabs(4))
        else:
            end_col = len(text)
        width = max(end_col - start_col, 1)
        marker = " " * start_col + "^" * width
        if d.label:
            marker += " " + d.label
        lines += [f"{gutter} |", f"{number} | {text}", f"{gutter} | {marker}", f"{gutter} |"]
        if d.help:
            lines.append(f"{gutter} = help: {d.help}")
    elif d.help:
        lines.append(f"  = help: {d.help}")
    return "\n".join(lines)


def render(
    diagnostics: Iterable[Diagnostic],
    sources: Mapping[str, Source] | None = None,
    *,
    format: str = "full",
) -> str:
    """Render diagnostics as ``full``, ``concise`` or ``json`` text."""
    items = sorted(diagnostics, key=sort_key)
    if format == "json":
        return json.dumps([to_json(d) for d in items], indent=2)
    if format == "concise":
        return "\n".join(render_concise(d) for d in items)
    sources = sources or {}
    return "\n\n".join(render_full(d, sources.get(d.path)) for d in items)


def to_json(d: Diagnostic) -> dict[str, object]:
    """Return one diagnostic as a flat JSON object."""
    return {
        "file": d.path,
        "line": d.span.line,
        "column": d.span.column,
        "end_line": d.span.end_line,
        "end_column": d.span.end_column,
        "severity": d.severity.value,
        "code": d.code,
        "name": d.name,
        "message": d.message,
        "help": d.help,
        "suggestions": list(d.suggestions),
    }


#: where each code is documented: ``docs/diagnostics.md`` has an anchor per code (``#deid101``)
HELP_DOC = "docs/diagnostics.md"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def to_sarif(diagnostics: Iterable[Diagnostic], *, version: str, help_doc: str = HELP_DOC) -> dict[str, object]:
    """Return diagnostics as one SARIF 2.1.0 log: one run of the tool ``deidc``, every registered code a rule.

    Args:
        diagnostics: the diagnostics, in any order (they are sorted).
        version: deidc's version, for ``tool.driver.version``.
        help_doc: the document each rule's ``helpUri`` points into, before ``#deidnnn``.

    Returns:
        The log, as JSON types.
    """
    codes = list(REGISTRY.values())
    index = {c.code: i for i, c in enumerate(codes)}
    rules = [{
        "id": c.code,
        "name": c.name,
        "shortDescription": {"text": c.description},
        "helpUri": f"{help_doc}#{c.code.lower()}",
        "defaultConfiguration": {"level": c.severity.value},
    } for c in codes]
    results = [_sarif_result(d, index[d.code]) for d in sorted(diagnostics, key=sort_key)]
    driver = {"name": "deidc", "version": version, "rules": rules}
    run = {"tool": {"driver": driver}, "columnKind": "unicodeCodePoints", "results": results}
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def _sarif_result(d: Diagnostic, rule_index: int) -> dict[str, object]:
    location: dict[str, object] = {"artifactLocation": {"uri": d.path}}
    if d.span.line:
        location["region"] = {"startLine": d.span.line, "startColumn": d.span.column,
                              "endLine": d.span.end_line, "endColumn": d.span.end_column}
    result: dict[str, object] = {
        "ruleId": d.code,
        "ruleIndex": rule_index,
        "level": d.severity.value,
        "message": {"text": d.message},
        "locations": [{"physicalLocation": location}],
    }
    if d.help or d.suggestions:
        result["properties"] = {"help": d.help, "suggestions": list(d.suggestions)}
    return result


@dataclass(frozen=True)
class Report:
    """Diagnostics with the sources they point into."""

    diagnostics: tuple[Diagnostic, ...] = ()  #: the diagnostics
    sources: dict[str, Source] = field(default_factory=dict)  #: sources by path

    @property
    def has_errors(self) -> bool:
        """Return whether any diagnostic is an error."""
        return any(d.is_error for d in self.diagnostics)
