"""Async job lanes (``X-HSL-Lane``): when jobs wait for a slot, ``priority`` goes first."""

from __future__ import annotations

from enum import StrEnum

from .errors import InvalidRequest

HEADER = "x-hsl-lane"


class JobLane(StrEnum):
    STANDARD = "standard"
    PRIORITY = "priority"

    @property
    def rank(self) -> int:
        """Lower runs first."""
        return _RANK[self]

    @classmethod
    def parse(cls, value: str | None) -> JobLane:
        if not value:
            return cls.STANDARD
        try:
            return cls(value.strip().lower())
        except ValueError:
            raise InvalidRequest(
                f"X-HSL-Lane must be one of {', '.join(lane.value for lane in cls)}", code="INVALID_LANE"
            ) from None


_RANK = {JobLane.PRIORITY: 0, JobLane.STANDARD: 1}
