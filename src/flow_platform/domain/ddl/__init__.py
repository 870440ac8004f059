"""The DDL engine: a policy over one statement, its analysis and per-dialect executors."""

from .analysis import Analysis as Analysis
from .analysis import RowCheck as RowCheck
from .analysis import TableRef as TableRef
from .analysis import analyze as analyze
from .findings import Finding as Finding
from .findings import Risk as Risk
from .policy import DDLNotAllowed as DDLNotAllowed
from .policy import Dialect as Dialect
from .scope import Scope as Scope

__all__ = [
    "Analysis",
    "DDLNotAllowed",
    "Dialect",
    "Finding",
    "Risk",
    "RowCheck",
    "Scope",
    "TableRef",
    "analyze",
]
