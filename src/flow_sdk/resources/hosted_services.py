"""``client.hosted_services``: services, their versions and endpoints, logs."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from ._resource import Resource
from .service_tokens import ServiceTokensNamespace


class HostedServicesNamespace(Resource):
    def create(self, data: dict[str, Any]) -> dict[str, Any]:
        """Create a service (``slug``, ``name``, ``execution_mode``, ``ring_id``, ``description``).

        It starts as ``draft`` with version 1 as an empty draft.
        """
        result: dict[str, Any] = self._client._request("POST", self._path(), json=data)
        return result

    def list(self) -> list[dict[str, Any]]:
        return self._client._get_items(self._path())

    def get(self, service_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self._client._request("GET", self._path(service_id))
        return result

    def suspend(self, service_id: str) -> dict[str, Any]:
        return self._action(service_id, "suspend")

    def reactivate(self, service_id: str) -> dict[str, Any]:
        return self._action(service_id, "reactivate")

    def archive(self, service_id: str) -> dict[str, Any]:
        return self._action(service_id, "archive")

    def logs(self, service_id: str, *, version: int | None = None, tail: int | None = None) -> str:
        """Stdout, stderr and platform notes of a version's workers (default: the latest)."""
        body = self._client._request("GET", self._path(service_id, "/logs"), params={"version": version, "tail": tail})
        text: str = body["text"]
        return text

    def skills(self, service_id: str, version: int | None = None) -> dict[str, Any]:
        """The skill bundle frozen with a published version (default: the latest).

        ``skills`` holds one endpoint skill per endpoint; ``checksum`` (sha256 over
        canonical JSON) changes only when what the skills describe changes.
        """
        result: dict[str, Any] = self._client._request(
            "GET", self._path(service_id, "/skills"), params={"version": version}
        )
        return result

    @cached_property
    def versions(self) -> ServiceVersionsNamespace:
        return ServiceVersionsNamespace(self._client)

    @cached_property
    def endpoints(self) -> ServiceEndpointsNamespace:
        return ServiceEndpointsNamespace(self._client)

    @cached_property
    def service_tokens(self) -> ServiceTokensNamespace:
        return ServiceTokensNamespace(self._client)

    def _action(self, service_id: str, action: str) -> dict[str, Any]:
        result: dict[str, Any] = self._client._request("POST", self._path(service_id, f"/{action}"))
        return result

    def _path(self, service_id: str | None = None, suffix: str = "") -> str:
        return services_path(self._client, service_id, suffix)


class ServiceVersionsNamespace(Resource):
    def list(self, service_id: str) -> list[dict[str, Any]]:
        return self._client._get_items(services_path(self._client, service_id, "/versions"))

    def create(self, service_id: str) -> dict[str, Any]:
        """A new draft version, holding a copy of the latest version's endpoints."""
        result: dict[str, Any] = self._client._request("POST", services_path(self._client, service_id, "/versions"))
        return result

    def publish(self, service_id: str, version_id: str) -> dict[str, Any]:
        """Freeze a draft (by id, or by number as a string) and start serving it."""
        path = services_path(self._client, service_id, f"/versions/{self._client._seg(version_id)}/publish")
        result: dict[str, Any] = self._client._request("POST", path)
        return result


class ServiceEndpointsNamespace(Resource):
    def create(self, service_id: str, version_id: str, data: dict[str, Any]) -> dict[str, Any]:
        """Add an endpoint to a draft version (``path``, ``method``, ``code_block_id``, ...)."""
        result: dict[str, Any] = self._client._request("POST", self._path(service_id, version_id), json=data)
        return result

    def list(self, service_id: str, version_id: str) -> list[dict[str, Any]]:
        return self._client._get_items(self._path(service_id, version_id))

    def delete(self, service_id: str, version_id: str, endpoint_id: str) -> None:
        self._client._request("DELETE", self._path(service_id, version_id, f"/{self._client._seg(endpoint_id)}"))

    def _path(self, service_id: str, version_id: str, suffix: str = "") -> str:
        return services_path(self._client, service_id, f"/versions/{self._client._seg(version_id)}/endpoints{suffix}")


def services_path(client: Any, service_id: str | None = None, suffix: str = "") -> str:
    base = "/hosted-services" + (f"/{client._seg(service_id)}" if service_id is not None else "")
    path: str = client._ws_path(base + suffix)
    return path
