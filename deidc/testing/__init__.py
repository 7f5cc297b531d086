"""Hypothesis strategies and ready-made properties for de-identification recipes.

In the style of ``hypothesis.extra``: every option is keyword-only and checked when
the strategy is made (``hypothesis.errors.InvalidArgument``). Importing this module
imports Hypothesis; ``import deidc`` does not.

Strategies:

* :func:`recipes` / :func:`recipe_texts`: recipe trees built from :mod:`deidc.ast`
  nodes, and their text (:func:`deidc.fmt.render`); they parse back unchanged and,
  by default, compile without errors.
* :func:`datasets`: pydicom datasets shaped like real headers (names, IDs, dates,
  UIDs, free text, sequences, private blocks, multi-valued elements).
* :func:`keywords`, :func:`tags`, :func:`values_for`: the pieces of a dataset.

Properties (each runs its own Hypothesis search and raises ``AssertionError`` with the
smallest dataset found and the recipe lines responsible):

* :func:`assert_removes_phi`, :func:`assert_idempotent`, :func:`assert_never_fails`,
  :func:`assert_consistent_uids`.

Example::

    from deidc.testing import assert_removes_phi

    def test_recipe_removes_names():
        assert_removes_phi("deid.myrecipe", keywords=("PatientName", "OtherPatientNames"))
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from deidc.testing._datasets import datasets
    from deidc.testing._properties import (
        PHI_KEYWORDS,
        PropertyFailure,
        assert_consistent_uids,
        assert_idempotent,
        assert_never_fails,
        assert_removes_phi,
    )
    from deidc.testing._recipes import recipe_texts, recipes
    from deidc.testing._values import keywords, tags, values_for

__all__ = [
    "PHI_KEYWORDS",
    "PropertyFailure",
    "assert_consistent_uids",
    "assert_idempotent",
    "assert_never_fails",
    "assert_removes_phi",
    "datasets",
    "keywords",
    "recipe_texts",
    "recipes",
    "tags",
    "values_for",
]

#: where each public name lives; the submodules (and Hypothesis) load on first use, so that
#: pytest can load :mod:`deidc.testing.plugin` where Hypothesis is not installed
_HOMES = {
    "datasets": "_datasets",
    "PHI_KEYWORDS": "_properties",
    "PropertyFailure": "_properties",
    "assert_consistent_uids": "_properties",
    "assert_idempotent": "_properties",
    "assert_never_fails": "_properties",
    "assert_removes_phi": "_properties",
    "recipe_texts": "_recipes",
    "recipes": "_recipes",
    "keywords": "_values",
    "tags": "_values",
    "values_for": "_values",
}


def __getattr__(name: str) -> object:
    """Import a public name from its submodule on first use (PEP 562)."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'deidc.testing' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"deidc.testing.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """List the public names (loaded or not)."""
    return sorted({*globals(), *__all__})
