"""``DeidRecipe``: deid's recipe object, over deidc's pipeline (text → AST → checked plan).

A recipe is loaded from paths, folders, tags (``dicom``, ...) or deid-style dicts,
parsed and checked once. Errors raise :class:`~deidc.errors.RecipeError` with every
diagnostic; deid would warn, skip lines, or exit the process instead.
"""

from __future__ import annotations

import logging
import os
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path

from deidc import codes
from deidc.compiler import compile_sources
from deidc.config.legacy import from_legacy, to_legacy
from deidc.diagnostics import Diagnostic, make
from deidc.errors import InputError, RecipeError
from deidc.plan import Plan
from deidc.source import NO_SPAN, Source
from deidc.syntax import Parsed, parse

__all__ = ["DeidRecipe", "find_recipe", "load_deid", "read_recipe"]

logger = logging.getLogger("deidc")

RecipeInput = "str | os.PathLike[str] | Mapping[str, object] | DeidRecipe"


def _shipped(tag: str) -> Path | None:
    """Return the file of a recipe tag: deidc's own recipes, then (if installed) deid's."""
    own = Path(str(resources.files("deidc"))) / "data" / "recipes" / f"deid.{tag}"
    if own.is_file():
        return own
    try:
        theirs = Path(str(resources.files("deid"))) / "data" / f"deid.{tag}"
    except ModuleNotFoundError:
        return None
    return theirs if theirs.is_file() else None


def find_recipe(item: str | os.PathLike[str]) -> Path:
    """Return the recipe file for a path, a folder (its first ``deid*`` file) or a tag."""
    path = Path(item)
    if path.is_file():
        return path
    if path.is_dir():
        found = sorted(p for p in path.iterdir() if p.name.startswith("deid") and p.is_file())
        if not found:
            raise InputError(f"{path}: no recipe in this folder (a recipe file's name starts with 'deid')")
        if len(found) > 1:
            logger.warning("%s: several recipes, using %s", path, found[0].name)
        return found[0]
    shipped = _shipped(str(item))
    if shipped is not None:
        return shipped
    raise InputError(f"{item}: no such recipe file, folder or tag (tags: dicom, dicom.ultrasound, dicom.xray.chest)",
                     [make(codes.RECIPE_NOT_FOUND, f"recipe '{item}' not found", NO_SPAN, path=str(item))])


def read_recipe(item: str | os.PathLike[str] | Mapping[str, object]) -> Parsed:
    """Read and parse one recipe (a path, folder, tag or deid-style dict)."""
    if isinstance(item, Mapping):
        return parse(Source("<dict>", from_legacy(item)))
    path = find_recipe(item)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise RecipeError([make(codes.NOT_TEXT, f"the recipe is not UTF-8 text: {error.reason}", NO_SPAN,
                                path=str(path), help="save it as UTF-8")]) from error
    except OSError as error:
        raise InputError(f"{path}: cannot read the recipe: {error.strerror}") from error
    return parse(Source(str(path), text))


def load_deid(path: str | os.PathLike[str]) -> OrderedDict[str, object] | None:
    """Return deid's dict structure of one recipe file, folder or tag."""
    parsed = read_recipe(path)
    return to_legacy([(parsed.recipe, parsed.source)])


class DeidRecipe:
    """One or more recipes combined in order, checked and compiled.

    Args:
        deid: a path, folder, tag, deid-style dict, or a list of them; None means the
            default recipe.
        base: also add the default recipe (after the others).
        default_base: the tag of the default recipe.
    """

    def __init__(self, deid: object = None, base: bool = False, default_base: str = "dicom") -> None:
        """Load, parse, check and compile the recipes."""
        if deid is None:
            base = True
        items: list[object] = [] if deid is None else list(deid) if isinstance(deid, (list, tuple)) else [deid]
        if base and default_base:
            items.append(default_base)
        self._files = items
        parsed: list[Parsed] = []
        for item in items:
            if isinstance(item, DeidRecipe):
                parsed += item.parsed
            else:
                parsed.append(read_recipe(item))  # type: ignore[arg-type]
        self.parsed: tuple[Parsed, ...] = tuple(parsed)
        compiled = compile_sources(parsed)
        if not compiled.ok:
            raise RecipeError(compiled.diagnostics)
        self.diagnostics: tuple[Diagnostic, ...] = compiled.diagnostics
        self.plan: Plan = compiled.plan or Plan()
        self.deid = to_legacy([(p.recipe, p.source) for p in parsed])

    def __str__(self) -> str:
        """Return ``[deid]``, as deid does."""
        return "[deid]"

    __repr__ = __str__

    def get_format(self) -> str | None:
        """Return the recipe's format (``dicom``), or None."""
        return None if self.deid is None else self.deid.get("format")  # type: ignore[return-value]

    def _section(self, key: str) -> object:
        return None if self.deid is None else self.deid.get(key)

    def get_actions(self, action: str | None = None, field: str | None = None) -> list[dict[str, str]]:
        """Return the header actions, optionally only those of one action and/or field (any case)."""
        actions: list[dict[str, str]] = list(self._section("header") or [])  # type: ignore[call-overload]
        if action is not None:
            actions = [a for a in actions if a["action"].upper() == action.upper()]
        if field is not None:
            actions = [a for a in actions if a["field"].upper() == field.upper()]
        return actions

    def _named(self, key: str, name: str | None) -> object:
        section = self._section(key)
        if section is None or name is None:
            return section
        assert isinstance(section, Mapping)
        return section.get(name, [])

    def get_filters(self, name: str | None = None) -> object:
        """Return the filters (or one filter's labels)."""
        return self._named("filter", name)

    def get_values_lists(self, name: str | None = None) -> object:
        """Return the %values lists (or one list's lines)."""
        return self._named("values", name)

    def get_fields_lists(self, name: str | None = None) -> object:
        """Return the %fields lists (or one list's lines)."""
        return self._named("fields", name)

    def listof(self, section: str) -> list[str]:
        """Return the names of a named section's lists."""
        found = self._section(section)
        return list(found) if isinstance(found, Mapping) else []

    def ls_filters(self) -> list[str]:
        """Return the filter names."""
        return self.listof("filter")

    def ls_valuelists(self) -> list[str]:
        """Return the %values list names."""
        return self.listof("values")

    def ls_fieldlists(self) -> list[str]:
        """Return the %fields list names."""
        return self.listof("fields")

    def has_actions(self) -> bool:
        """Return whether there are header actions."""
        return bool(self._section("header"))

    def has_values_lists(self) -> bool:
        """Return whether there are %values lists."""
        return bool(self._section("values"))

    def has_fields_lists(self) -> bool:
        """Return whether there are %fields lists."""
        return bool(self._section("fields"))

    def load(self, deid: object) -> None:
        """Add recipes after this one's (deid's ``load`` raises instead)."""
        extra: Sequence[object] = deid if isinstance(deid, (list, tuple)) else [deid]
        self.__init__([*self._files, *extra], base=False)  # type: ignore[misc]
