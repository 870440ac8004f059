"""Pick the executor module for a dialect."""

from __future__ import annotations

from types import ModuleType

from . import mysql, postgres, sqlite
from .policy import Dialect

_BY_DIALECT: dict[str, ModuleType] = {"postgres": postgres, "mysql": mysql, "sqlite": sqlite}


def executor_for(dialect: Dialect) -> ModuleType:
    return _BY_DIALECT[dialect]
