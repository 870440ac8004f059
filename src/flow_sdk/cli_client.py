"""``CLIClient``: a synchronous client for the Flow platform, used from outside it.

from flow_sdk.config import load_config
from flow_sdk.cli_client import CLIClient

client = CLIClient(load_config())
"""

from __future__ import annotations

from functools import cached_property
from types import TracebackType
from typing import Any

import httpx

from . import _logging
from ._errors import LOGIN_HINT
from ._errors import CLIAuthenticationError as CLIAuthenticationError
from ._errors import CLIClientError as CLIClientError
from ._errors import CLIConfigError as CLIConfigError
from ._errors import CLIConflictError as CLIConflictError
from ._errors import CLIConnectionError as CLIConnectionError
from ._errors import CLINotFoundError as CLINotFoundError
from ._errors import CLIPermissionError as CLIPermissionError
from ._errors import CLIRateLimitError as CLIRateLimitError
from ._errors import CLIServerError as CLIServerError
from ._errors import CLITimeoutError as CLITimeoutError
from ._errors import CLIValidationError as CLIValidationError
from ._transport import Transport
from ._urls import API_PREFIX, normalize_platform_url, segment
from .config import FlowConfig, load_config
from .resources.api_keys import APIKeysNamespace
from .resources.components import ComponentsNamespace
from .resources.connector_instances import ConnectorInstancesNamespace
from .resources.deployments import ComponentDeploymentsNamespace, WorkflowDeploymentsNamespace
from .resources.hosted_services import HostedServicesNamespace
from .resources.invoke import gateway_path
from .resources.jobs import JobsNamespace
from .resources.rings import CLIRingsNamespace
from .results import Result

__all__ = [
    "CLIAuthenticationError",
    "CLIClient",
    "CLIClientError",
    "CLIConfigError",
    "CLIConflictError",
    "CLIConnectionError",
    "CLINotFoundError",
    "CLIPermissionError",
    "CLIRateLimitError",
    "CLIRingsNamespace",
    "CLIServerError",
    "CLITimeoutError",
    "CLIValidationError",
]


class CLIClient:
    def __init__(
        self,
        config: FlowConfig | None = None,
        *,
        timeout: float = 30.0,
        max_retries: int = 2,
        http_client: httpx.Client | None = None,
    ) -> None:
        _logging.setup_from_env()
        self.config = config if config is not None else load_config()
        try:
            self.platform_url = normalize_platform_url(self.config.platform_url)
        except ValueError as exc:
            raise CLIConfigError(str(exc), hint=LOGIN_HINT) from None
        self._transport = Transport(
            self.platform_url,
            token=self.config.access_token,
            timeout=timeout,
            max_retries=max_retries,
            http_client=http_client,
        )

    # -- lifecycle -----------------------------------------------------------------
    def close(self) -> None:
        self._transport.close()

    def __enter__(self) -> CLIClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"CLIClient(platform_url={self.platform_url!r}, org_id={self.config.org_id!r})"

    # -- authentication ------------------------------------------------------------
    @staticmethod
    def exchange_api_key(platform_url: str, api_key: str, ttl_minutes: int = 60) -> str:
        """Trade an org API key for a JWT access token (what ``flow-sdk login`` does)."""
        token: str = CLIClient._exchange(platform_url, api_key, ttl_minutes)["access_token"]
        return token

    @staticmethod
    def _exchange(
        platform_url: str, api_key: str, ttl_minutes: int = 60, *, http_client: httpx.Client | None = None
    ) -> dict[str, Any]:
        _logging.setup_from_env()
        transport = Transport(normalize_platform_url(platform_url), http_client=http_client)
        try:
            # Minting a token changes nothing durable, so a retry cannot do harm.
            response = transport.request(
                "POST",
                f"{API_PREFIX}/auth/token",
                json={"ttl_minutes": ttl_minutes},
                headers={"X-API-Key": api_key},
                authenticated=False,
                idempotent=True,
            )
            result: dict[str, Any] = response.json()
            return result
        finally:
            transport.close()

    def verify_credentials(self) -> bool:
        """True when the stored credentials are accepted; False when expired or refused."""
        try:
            self.get_current_user()
        except CLIAuthenticationError:
            return False
        return True

    def get_current_user(self) -> dict[str, Any]:
        """The principal the credentials act as: subject, org, workspace, role, email, expiry."""
        result: dict[str, Any] = self._request("GET", f"{API_PREFIX}/auth/me")
        return result

    # -- tenancy -------------------------------------------------------------------
    def list_orgs(self) -> list[dict[str, Any]]:
        return self._get_items(f"{API_PREFIX}/orgs")

    def list_workspaces(self, org_id: str) -> list[dict[str, Any]]:
        return self._get_items(f"{API_PREFIX}/orgs/{_seg(org_id)}/workspaces")

    # -- catalog -------------------------------------------------------------------
    def create_component(self, component_type: str, data: dict[str, Any]) -> dict[str, Any]:
        """Publish a component to the catalog; returns it with its ``id``."""
        return self.components.create(component_type, data)

    # -- hosted services -----------------------------------------------------------
    def invoke_service(
        self,
        service_id: str,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        query: dict[str, Any] | None = None,
        version: int | None = None,
    ) -> Any:
        """Call a hosted-service endpoint and return its parsed JSON result.

        ``version`` pins the call to that published version; without it the latest one
        answers. A 504 or 502 is not retried: the handler may already have acted.
        """
        url = gateway_path(self.config.org_id, service_id, path, version)
        return self._request(method.upper(), url, json=body, params=query, idempotent=False)

    # -- connector DDL ---------------------------------------------------------------
    def execute_ddl(
        self, instance_id: str, sql: str, confirm: bool = False, reason: str | None = None
    ) -> dict[str, Any]:
        """Preview (``confirm=False``, changes nothing) or execute one DDL statement.

        Executing needs a non-empty ``reason``; refused statements raise
        ``CLIValidationError`` with code ``DDL_NOT_ALLOWED``. A statement that fails
        comes back with ``outcome == "failed"`` and its ``error``, not as an exception.
        """
        path = self._ws_path(f"/connector-instances/{_seg(instance_id)}/ddl")
        body = {"sql": sql, "confirm": confirm, "reason": reason}
        # The server bounds the call (the instance's lock and statement timeouts, for
        # the preview and then the execution), which may outlast the client's default.
        result: dict[str, Any] = self._request("POST", path, json=body, timeout=_DDL_TIMEOUT_SECONDS)
        return result

    # -- namespaces ----------------------------------------------------------------
    @cached_property
    def hosted_services(self) -> HostedServicesNamespace:
        return HostedServicesNamespace(self)

    @cached_property
    def jobs(self) -> JobsNamespace:
        return JobsNamespace(self)

    @cached_property
    def api_keys(self) -> APIKeysNamespace:
        return APIKeysNamespace(self)

    @cached_property
    def components(self) -> ComponentsNamespace:
        return ComponentsNamespace(self)

    @cached_property
    def connector_instances(self) -> ConnectorInstancesNamespace:
        return ConnectorInstancesNamespace(self)

    # -- deployments ---------------------------------------------------------------
    @cached_property
    def rings(self) -> CLIRingsNamespace:
        return CLIRingsNamespace(self)

    @cached_property
    def component_deployments(self) -> ComponentDeploymentsNamespace:
        return ComponentDeploymentsNamespace(self)

    @cached_property
    def workflow_deployments(self) -> WorkflowDeploymentsNamespace:
        return WorkflowDeploymentsNamespace(self)

    # -- plumbing shared by the namespaces -----------------------------------------
    def _org_path(self, suffix: str = "") -> str:
        return f"{API_PREFIX}/orgs/{_seg(self.config.org_id)}{suffix}"

    def _ws_path(self, suffix: str = "") -> str:
        return self._org_path(f"/workspaces/{_seg(self.config.workspace_id)}{suffix}")

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._transport.request(method, path, **kwargs)
        if response.status_code == 204 or not response.content:
            return None
        # Every JSON object reads as a dict and by attribute (flow_sdk.results).
        return response.json(object_hook=Result)

    @staticmethod
    def _seg(value: str) -> str:
        return _seg(value)

    def _get_items(self, path: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        body = self._request("GET", path, params=params)
        items: list[dict[str, Any]] = body["items"] if isinstance(body, dict) else body
        return items


_DDL_TIMEOUT_SECONDS = 600.0


_seg = segment
