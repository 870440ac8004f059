"""The frozen bundle a worker runs: one published version's endpoint table and code.

Kept free of heavy imports: the worker process loads this module on every cold start.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

PARAM_SEGMENT = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True, slots=True)
class EndpointSpec:
    method: str
    path: str
    source: str
    entrypoint: str = "main"
    timeout_seconds: float = 30.0
    request_schema: dict[str, Any] | None = None
    response_schema: dict[str, Any] | None = None
    auth_mode: str = "platform"
    async_eligible: bool = False
    name: str = ""
    max_attempts: int = 3
    limits: dict[str, int] | None = None  # only what the endpoint sets (sandbox/policy.py)
    network: str = "none"  # "outbound": its version's worker may use the network


@dataclass(frozen=True, slots=True)
class Bundle:
    service_id: str
    version: int
    endpoints: tuple[EndpointSpec, ...]
    org_id: str = ""
    workspace_id: str = ""
    ring_id: str = ""
    env: dict[str, str] = field(default_factory=dict)

    def dumps(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def loads(cls, text: str) -> Bundle:
        raw = json.loads(text)
        raw["endpoints"] = tuple(EndpointSpec(**e) for e in raw["endpoints"])
        return cls(**raw)

    def write(self, path: Path) -> None:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(self.dumps())
        tmp.replace(path)


class RouteMiss(Exception):
    """No endpoint for a request: 404 for an unknown path, 405 when only the method is wrong."""

    def __init__(self, status: int, allowed: tuple[str, ...] = ()) -> None:
        super().__init__(status)
        self.status = status
        self.allowed = allowed


def compile_path(template: str) -> re.Pattern[str] | None:
    """A regex for a path template with `{params}`, or None for a static path."""
    if "{" not in template:
        return None
    parts: list[str] = []
    pos = 0
    for found in PARAM_SEGMENT.finditer(template):
        parts.append(re.escape(template[pos : found.start()]))
        parts.append(f"(?P<{found.group(1)}>[^/]+)")
        pos = found.end()
    parts.append(re.escape(template[pos:]))
    pattern = "".join(parts)
    return re.compile(f"^{pattern}$")


class Router:
    """Matches (method, path) to an endpoint index: static paths by dict, templates by regex."""

    __slots__ = ("_static", "_templated")

    def __init__(self, endpoints: tuple[EndpointSpec, ...] | list[EndpointSpec]) -> None:
        self._static: dict[str, dict[str, int]] = {}
        self._templated: list[tuple[re.Pattern[str], dict[str, int]]] = []
        by_template: dict[str, dict[str, int]] = {}
        for index, spec in enumerate(endpoints):
            by_template.setdefault(spec.path, {})[spec.method.upper()] = index
        for template, methods in by_template.items():
            regex = compile_path(template)
            if regex is None:
                self._static[template] = methods
            else:
                self._templated.append((regex, methods))

    def match(self, method: str, path: str) -> tuple[int, dict[str, str]]:
        methods = self._static.get(path)
        params: dict[str, str] = {}
        if methods is None:
            for regex, candidate in self._templated:
                found = regex.match(path)
                if found is not None:
                    methods, params = candidate, found.groupdict()
                    break
            else:
                raise RouteMiss(404)
        index = methods.get(method)
        if index is None:
            raise RouteMiss(405, tuple(sorted(methods)))
        return index, params
