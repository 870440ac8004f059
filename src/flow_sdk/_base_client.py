"""What ``CLIClient`` and ``AsyncCLIClient`` share: configuration, paths and namespaces.

Namespaces are written once against the public helpers below (``org_path``,
``workspace_path``, ``request``, ``list_all``, ``iterate``, ``poll``). The sync client
answers a call with its value; the async client answers with an awaitable of it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cached_property
from typing import Any

from . import _logging
from ._errors import LOGIN_HINT, CLIConfigError
from ._urls import api_path, normalize_platform_url
from .config import FlowConfig, load_config
from .resources.api_keys import APIKeysNamespace
from .resources.components import ComponentsNamespace
from .resources.connector_instances import ConnectorInstancesNamespace
from .resources.deployments import ComponentDeploymentsNamespace, WorkflowDeploymentsNamespace
from .resources.hosted_services import HostedServicesNamespace
from .resources.invoke import gateway_path
from .resources.jobs import JobsNamespace
from .resources.rings import CLIRingsNamespace

# The server bounds a DDL call (the instance's lock and statement timeouts, for the
# preview and then the execution), which may outlast the client's default timeout.
DDL_TIMEOUT_SECONDS = 600.0


class BaseClient:
    config: FlowConfig
    platform_url: str

    def _configure(self, config: FlowConfig | None) -> None:
        _logging.setup_from_env()
        self.config = config if config is not None else load_config()
        try:
            self.platform_url = normalize_platform_url(self.config.platform_url)
        except ValueError as exc:
            raise CLIConfigError(str(exc), hint=LOGIN_HINT) from None

    def _token_refresher(self) -> Callable[[], str] | None:
        """A way to a fresh token when the stored one expires: a remembered API key."""
        from . import _keyring

        return _keyring.refresher_for(self.config)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(platform_url={self.platform_url!r}, org_id={self.config.org_id!r})"

    # -- paths ---------------------------------------------------------------------
    def org_path(self, *segments: object) -> str:
        """``/api/v1/orgs/{org_id}/<segments>``, each segment percent-encoded."""
        return api_path("orgs", self.config.org_id, *segments)

    def workspace_path(self, *segments: object) -> str:
        """``/api/v1/orgs/{org_id}/workspaces/{workspace_id}/<segments>``, each encoded."""
        return self.org_path("workspaces", self.config.workspace_id, *segments)

    # -- what the two clients implement ---------------------------------------------
    def request(
        self, method: str, path: str, *, then: Callable[[Any], Any] | None = None, **kwargs: Any
    ) -> Any:  # pragma: no cover - abstract
        """The parsed JSON answer (None when empty), passed through ``then`` when given."""
        raise NotImplementedError

    def list_all(self, path: str, params: Mapping[str, Any] | None = None) -> Any:  # pragma: no cover
        """Every item of a paged list, following the cursor to the end."""
        raise NotImplementedError

    def iterate(
        self, path: str, params: Mapping[str, Any] | None = None, *, page_size: int | None = None
    ) -> Any:  # pragma: no cover
        """The items of a paged list one by one, fetching a page at a time."""
        raise NotImplementedError

    def poll(
        self, fetch: Callable[[], Any], done: Callable[[Any], bool], *, timeout: float, interval: float
    ) -> Any:  # pragma: no cover
        """Call ``fetch`` until ``done(result)`` or ``timeout`` passes; the last result."""
        raise NotImplementedError

    # -- spec methods, written once ------------------------------------------------
    def get_current_user(self) -> Any:
        """The principal the credentials act as: subject, org, workspace, role, expiry."""
        return self.request("GET", api_path("auth", "me"))

    def list_orgs(self) -> Any:
        return self.list_all(api_path("orgs"))

    def list_workspaces(self, org_id: str) -> Any:
        return self.list_all(api_path("orgs", org_id, "workspaces"))

    def create_component(self, component_type: str, data: dict[str, Any]) -> Any:
        """Publish a component to the catalog; returns it with its ``id``."""
        return self.components.create(component_type, data)

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
        return self.request(method, url, json=body, params=query, idempotent=False)

    def execute_ddl(self, instance_id: str, sql: str, confirm: bool = False, reason: str | None = None) -> Any:
        """Preview (``confirm=False``, changes nothing) or execute one DDL statement.

        Executing needs a non-empty ``reason``; refused statements raise
        ``CLIValidationError`` with code ``DDL_NOT_ALLOWED``. A statement that fails
        comes back with ``outcome == "failed"`` and its ``error``, not as an exception.
        """
        path = self.workspace_path("connector-instances", instance_id, "ddl")
        body = {"sql": sql, "confirm": confirm, "reason": reason}
        return self.request("POST", path, json=body, timeout=DDL_TIMEOUT_SECONDS)

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

    @cached_property
    def rings(self) -> CLIRingsNamespace:
        return CLIRingsNamespace(self)

    @cached_property
    def component_deployments(self) -> ComponentDeploymentsNamespace:
        return ComponentDeploymentsNamespace(self)

    @cached_property
    def workflow_deployments(self) -> WorkflowDeploymentsNamespace:
        return WorkflowDeploymentsNamespace(self)
