"""The runtime stage: a compiled :class:`~deidc.plan.Plan` applied to pydicom datasets."""

from __future__ import annotations

from deidc.runtime.changes import ChangeLog
from deidc.runtime.engine import Change, Execution, StepError, execute
from deidc.runtime.field import DicomField
from deidc.runtime.select import Matcher

__all__ = ["Change", "ChangeLog", "DicomField", "Execution", "Matcher", "StepError", "execute"]
