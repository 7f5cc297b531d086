"""The pytest plugin of deidc: a ``deidc_recipe`` fixture for recipe repositories.

pytest loads this module through the ``pytest11`` entry point of deidc's package
metadata, in every project where deidc is installed, so it imports nothing but pytest
when it loads: deidc's recipe machinery (and Hypothesis, which the properties need)
is imported only when a test asks for the fixture.

Example::

    def test_recipe_removes_phi(deidc_recipe):
        from deidc.testing import assert_removes_phi

        assert_removes_phi(deidc_recipe("deid.myrecipe"))
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from deidc.config import DeidRecipe

__all__ = ["deidc_recipe"]


def _resolve(recipe: str | os.PathLike[str], folder: Path) -> str | os.PathLike[str]:
    """Return a relative path as seen from the test's folder when it exists there (else as given)."""
    candidate = folder / os.fspath(recipe)
    return str(candidate) if not Path(recipe).is_absolute() and candidate.exists() else recipe


@pytest.fixture
def deidc_recipe(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[..., DeidRecipe]:
    """Return a factory that loads a recipe as a checked, compiled ``DeidRecipe``.

    The factory takes a recipe file or folder (a relative path is looked up beside
    the test file first, then in the working directory), a shipped tag such as
    ``"dicom"``, or recipe text (anything with a newline), and an optional
    ``base=True`` to add deidc's default recipe after it. A recipe with errors fails
    the test with every diagnostic (``RecipeError``).
    """
    from deidc.config import DeidRecipe

    folder = Path(str(request.path)).parent
    count = 0

    def load(recipe: str | os.PathLike[str], *, base: bool = False) -> DeidRecipe:
        nonlocal count
        if isinstance(recipe, str) and "\n" in recipe:
            count += 1
            written = tmp_path / f"deid.recipe-{count}"
            written.write_text(recipe, encoding="utf-8")
            return DeidRecipe(str(written), base=base)
        return DeidRecipe(_resolve(recipe, folder), base=base)

    return load
