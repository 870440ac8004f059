"""Roles and what each may do: an admin can do all a builder can, a builder all a viewer can."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    VIEWER = "viewer"
    BUILDER = "builder"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return _RANK[self]

    def allows(self, needed: Role) -> bool:
        return self.rank >= needed.rank


_RANK = {Role.VIEWER: 0, Role.BUILDER: 1, Role.ADMIN: 2}
