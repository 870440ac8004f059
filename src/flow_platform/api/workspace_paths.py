"""The two documented shapes of a workspace resource's URL, served by one router.

- ``/api/v1/orgs/{org_id}/workspaces/{workspace_id}/components``: the tenant in the path;
- ``/api/v1/components``: the Endpoint Catalog's shape, the workspace from ``X-Workspace-ID``
  or else the credential's own workspace.

Each router is included once per shape. The scope dependencies (``deps.workspace_scope``)
read the tenant from the path when it is there, so tenancy rules, roles and error bodies
are the same code for both; the dependencies below only document each shape's inputs.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Header, Path

from ..schemas.common import ErrorBody

TENANT_PREFIX = "/api/v1/orgs/{org_id}/workspaces/{workspace_id}"
TOP_LEVEL_PREFIX = "/api/v1"


def _tenant_in_path(
    org_id: Annotated[str, Path(description="The organization's id.")],
    workspace_id: Annotated[str, Path(description="The workspace's id.")],
) -> None:
    """Documents the path parameters; ``deps.workspace_scope`` checks them."""


def _tenant_from_header(
    x_workspace_id: Annotated[
        str | None,
        Header(
            alias="X-Workspace-ID",
            description="The workspace to act in; default: the credential's workspace (a key bound to one,"
            " or the org's only workspace).",
        ),
    ] = None,
) -> None:
    """Documents the header; ``deps.get_any_principal`` applies it."""


_NO_WORKSPACE: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "No X-Workspace-ID and the credential has no workspace."}
}


def include_workspace_router(app: FastAPI, router: APIRouter, *, responses: dict[int | str, dict[str, Any]]) -> None:
    app.include_router(router, prefix=TENANT_PREFIX, dependencies=[Depends(_tenant_in_path)], responses=responses)
    app.include_router(
        router,
        prefix=TOP_LEVEL_PREFIX,
        dependencies=[Depends(_tenant_from_header)],
        responses={**responses, **_NO_WORKSPACE},
    )
