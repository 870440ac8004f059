"""``client.hosted_services``: services, their versions and endpoints, logs."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from ._resource import Resource
from .service_tokens import ServiceTokensNamespace

if TYPE_CHECKING:
    from .._base_client import BaseClient


def services_path(client: BaseClient, *segments: object) -> str:
    return client.workspace_path("hosted-services", *segments)


class HostedServicesNamespace(Resource):
    def create(self, data: dict[str, Any]) -> Any:
        """Create a service (``slug``, ``name``, ``execution_mode``, ``ring_id``, ``description``).

        It starts as ``draft`` with version 1 as an empty draft.
        """
        return self._client.request("POST", services_path(self._client), json=data)

    def list(self) -> Any:
        return self._client.list_all(services_path(self._client))

    def get(self, service_id: str) -> Any:
        return self._client.request("GET", services_path(self._client, service_id))

    def suspend(self, service_id: str) -> Any:
        return self._action(service_id, "suspend")

    def reactivate(self, service_id: str) -> Any:
        return self._action(service_id, "reactivate")

    def archive(self, service_id: str) -> Any:
        return self._action(service_id, "archive")

    def logs(self, service_id: str, *, version: int | None = None, tail: int | None = None) -> Any:
        """Stdout, stderr and platform notes of a version's workers (default: the latest)."""
        path = services_path(self._client, service_id, "logs")
        return self._client.request("GET", path, params={"version": version, "tail": tail}, then=_text)

    def skills(self, service_id: str, version: int | None = None) -> Any:
        """The skill bundle frozen with a published version (default: the latest).

        ``skills`` holds one endpoint skill per endpoint; ``checksum`` (sha256 over
        canonical JSON) changes only when what the skills describe changes.
        """
        path = services_path(self._client, service_id, "skills")
        return self._client.request("GET", path, params={"version": version} if version is not None else None)

    @cached_property
    def versions(self) -> ServiceVersionsNamespace:
        return ServiceVersionsNamespace(self._client)

    @cached_property
    def endpoints(self) -> ServiceEndpointsNamespace:
        return ServiceEndpointsNamespace(self._client)

    @cached_property
    def service_tokens(self) -> ServiceTokensNamespace:
        return ServiceTokensNamespace(self._client)

    def _action(self, service_id: str, action: str) -> Any:
        return self._client.request("POST", services_path(self._client, service_id, action))


class ServiceVersionsNamespace(Resource):
    def list(self, service_id: str) -> Any:
        return self._client.list_all(services_path(self._client, service_id, "versions"))

    def create(self, service_id: str) -> Any:
        """A new draft version, holding a copy of the latest version's endpoints."""
        return self._client.request("POST", services_path(self._client, service_id, "versions"))

    def publish(self, service_id: str, version_id: str) -> Any:
        """Freeze a draft (by id, or by number as a string) and start serving it."""
        return self._client.request("POST", services_path(self._client, service_id, "versions", version_id, "publish"))


class ServiceEndpointsNamespace(Resource):
    def create(self, service_id: str, version_id: str, data: dict[str, Any]) -> Any:
        """Add an endpoint to a draft version (``path``, ``method``, ``code_block_id``, ...;
        ``limits`` such as ``{"memory_mb": 256}`` and ``network``: ``"none"`` or ``"outbound"``)."""
        return self._client.request("POST", self._path(service_id, version_id), json=data)

    def list(self, service_id: str, version_id: str) -> Any:
        return self._client.list_all(self._path(service_id, version_id))

    def delete(self, service_id: str, version_id: str, endpoint_id: str) -> Any:
        return self._client.request("DELETE", self._path(service_id, version_id, endpoint_id), then=_none)

    def _path(self, service_id: str, version_id: str, *rest: str) -> str:
        return services_path(self._client, service_id, "versions", version_id, "endpoints", *rest)


def _text(body: Any) -> str:
    text: str = body["text"]
    return text


def _none(_: Any) -> None:
    return None
