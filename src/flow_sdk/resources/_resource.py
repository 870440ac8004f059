"""Namespaces hold the client and nothing else; all HTTP goes through it."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..cli_client import CLIClient


class Resource:
    def __init__(self, client: CLIClient) -> None:
        self._client = client
