"""Option types with the bounds the platform holds, so a bad value is a usage error, not a traceback."""

from __future__ import annotations

import math
from typing import Any

import click

INT32_MAX = 2**31 - 1


class FiniteFloat(click.FloatRange):
    """A FloatRange that also refuses nan and inf (a range check lets nan through)."""

    name = "finite float"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number


PORT = click.IntRange(1, 65535)
POSITIVE = click.IntRange(1, INT32_MAX)
"""Counts, versions, minutes and lines: the platform stores them as SQL INTEGERs or less."""
NON_NEGATIVE = click.IntRange(0, INT32_MAX)
SECONDS = FiniteFloat(min=0, max=7 * 24 * 3600)
