"""Namespaces hold the client and nothing else; all HTTP goes through its public helpers.

One namespace class serves both clients: with ``CLIClient`` a method returns the value,
with ``AsyncCLIClient`` an awaitable of it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .._base_client import BaseClient


class Resource:
    def __init__(self, client: BaseClient) -> None:
        self._client = client
