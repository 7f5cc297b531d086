"""Exceptions of deidc's convenience and compatibility APIs.

The pipeline itself returns diagnostics instead of raising; these exceptions are for
the APIs that must either succeed or fail (``DeidRecipe``, ``DicomParser`` ...).
"""

from __future__ import annotations

from collections.abc import Iterable

from deidc.diagnostics import Diagnostic, render_concise


class DeidcError(Exception):
    """Base of every error deidc raises on purpose."""


class RecipeError(DeidcError, ValueError):
    """A recipe has errors; ``diagnostics`` says which and where."""

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        """Keep the diagnostics and make a message from the errors among them."""
        self.diagnostics = tuple(diagnostics)
        errors = [d for d in self.diagnostics if d.is_error] or list(self.diagnostics)
        super().__init__("\n".join(render_concise(d) for d in errors))


class InputError(DeidcError, ValueError):
    """A run's input is missing or wrong: a variable, a function, a file."""

    def __init__(self, message: str, diagnostics: Iterable[Diagnostic] = ()) -> None:
        """Keep the message and any diagnostics behind it."""
        self.diagnostics = tuple(diagnostics)
        super().__init__(message)
