"""Preview or execute one analysed statement: the engine's entry point for callers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .analysis import Analysis
from .executors import executor_for
from .findings import Finding, Risk, overall_risk
from .target import Stopwatch, Target, Timeouts


@dataclass
class DDLRun:
    analysis: Analysis
    mode: str  # executed_and_rolled_back | static | executed
    outcome: str  # previewed | succeeded | failed
    findings: list[Finding] = field(default_factory=list)
    locks: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    duration_ms: int = 0

    @property
    def executed(self) -> bool:
        return self.mode == "executed" and self.outcome == "succeeded"

    @property
    def risk(self) -> Risk:
        return overall_risk(self.findings)

    @property
    def objects_changed(self) -> list[dict[str, str]]:
        return self.analysis.objects if self.executed else []


def preview(target: Target, analysis: Analysis, timeouts: Timeouts) -> DDLRun:
    result = executor_for(analysis.dialect).preview(target, analysis, timeouts)
    return DDLRun(
        analysis=analysis,
        mode=result.mode,
        outcome="failed" if result.error else "previewed",
        findings=[*analysis.findings, *_new(result.findings, analysis.findings)],
        locks=result.locks,
        error=result.error,
        duration_ms=result.duration_ms,
    )


def execute(target: Target, analysis: Analysis, timeouts: Timeouts, *, lock_key: str) -> DDLRun:
    """Run the preview's checks, and execute only if the preview did not fail."""
    watch = Stopwatch()
    checked = preview(target, analysis, timeouts)
    if checked.error:
        checked.duration_ms = watch.ms
        return checked
    result = executor_for(analysis.dialect).execute(target, analysis, timeouts, lock_key=lock_key)
    return DDLRun(
        analysis=analysis,
        mode="executed",
        outcome=result.outcome,
        findings=[*checked.findings, *_new(result.findings, checked.findings)],
        locks=checked.locks,
        error=result.error,
        duration_ms=watch.ms,
    )


def _new(extra: list[Finding], seen: list[Finding]) -> list[Finding]:
    codes = {(f.code, f.message) for f in seen}
    return [f for f in extra if (f.code, f.message) not in codes]
