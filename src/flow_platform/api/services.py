"""Hosted services of a workspace: lifecycle, versions, endpoints, logs and async jobs.

The calls themselves go through the gateway (`flow_platform.gateway`), not through here.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Annotated

import anyio.from_thread
from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy import func, select

from ..domain import services
from ..domain.errors import NotFound
from ..domain.ids import INT32_MAX, parse_id
from ..domain.paging import paginate
from ..schemas.common import Page, QueryWord
from ..schemas.services import (
    EndpointCreate,
    EndpointPublic,
    JobPublic,
    ServiceCreate,
    ServiceLogs,
    ServicePublic,
    SkillBundle,
    VersionPublic,
)
from ..store.tables import HostedService, ServiceJob, ServiceVersion
from .deps import PageDep, SessionDep, WorkspaceBuilder, WorkspaceViewer

if TYPE_CHECKING:  # the gateway imports the API's request-id helper, so not at run time
    from ..gateway.install import ServicesRuntime

router = APIRouter(prefix="/hosted-services", tags=["hosted services"])


def get_runtime(request: Request) -> ServicesRuntime:
    runtime: ServicesRuntime = request.app.state.services
    return runtime


RuntimeDep = Annotated["ServicesRuntime", Depends(get_runtime)]
MAX_TAIL_LINES = 100_000


def _public(session: SessionDep, row: HostedService) -> ServicePublic:
    latest = session.scalar(
        select(func.max(ServiceVersion.number)).where(
            ServiceVersion.service_id == row.id, ServiceVersion.status == "published"
        )
    )
    out = ServicePublic.model_validate(row)
    out.latest_version = latest
    out.invoke_url = f"/api/v1/orgs/{row.org_id}/services/{row.id}"
    return out


def _service(session: SessionDep, scope_ws: str | None, service_id: str) -> HostedService:
    assert scope_ws is not None
    return services.read_service(session, scope_ws, service_id)


@router.post("", response_model=ServicePublic, status_code=201)
def create_service(body: ServiceCreate, scope: WorkspaceBuilder, session: SessionDep) -> ServicePublic:
    row = services.create_service(
        session,
        org_id=scope.org_id,
        workspace_id=scope.workspace_id,
        created_by=scope.principal.subject,
        slug=body.slug,
        name=body.name,
        execution_mode=body.execution_mode,
        ring_id=body.ring_id,
        description=body.description,
    )
    return _public(session, row)


@router.get("", response_model=Page[ServicePublic])
def read_services(scope: WorkspaceViewer, session: SessionDep, page: PageDep) -> Page[ServicePublic]:
    return paginate(services.read_services(session, scope.workspace_id), page, lambda r: _public(session, r))


@router.get("/{service_id}", response_model=ServicePublic)
def read_service(service_id: str, scope: WorkspaceViewer, session: SessionDep) -> ServicePublic:
    return _public(session, _service(session, scope.workspace_id, service_id))


def _transition(action: str):  # type: ignore[no-untyped-def]
    def change(service_id: str, scope: WorkspaceBuilder, session: SessionDep, runtime: RuntimeDep) -> ServicePublic:
        row = services.change_service_status(session, _service(session, scope.workspace_id, service_id), action)
        runtime.changed()
        if action != "reactivate":  # a suspended or archived service holds no processes
            anyio.from_thread.run_sync(runtime.supervisor.stop, row.id)
        return _public(session, row)

    change.__name__ = f"{action}_service"
    return change


for _action in ("suspend", "reactivate", "archive"):
    router.add_api_route(
        f"/{{service_id}}/{_action}", _transition(_action), methods=["POST"], response_model=ServicePublic
    )


@router.get("/{service_id}/logs", response_model=ServiceLogs)
def read_logs(
    service_id: str,
    scope: WorkspaceViewer,
    session: SessionDep,
    runtime: RuntimeDep,
    version: Annotated[int | None, Query(ge=1, le=INT32_MAX)] = None,
    tail: Annotated[int | None, Query(ge=0, le=MAX_TAIL_LINES)] = None,
) -> ServiceLogs:
    """Stdout, stderr and platform notes of one version's workers (default: the latest).

    The log is capped (docs/hosted-services.md); `tail` reads only the end of it."""
    row = _service(session, scope.workspace_id, service_id)
    versions = services.read_versions(session, row)
    if version is None:
        published = [v.number for v in versions if v.status == "published"]
        version = published[-1] if published else versions[-1].number
    elif version not in {v.number for v in versions}:
        raise NotFound(f"version {version} not found", code="VERSION_NOT_FOUND")
    session.commit()  # hold no store transaction (SQLite: the write lock) while reading files
    return ServiceLogs(service_id=row.id, version=version, text=runtime.supervisor.read_log(row.id, version, tail))


# -- versions ----------------------------------------------------------------------


@router.get("/{service_id}/versions", response_model=Page[VersionPublic])
def read_versions(service_id: str, scope: WorkspaceViewer, session: SessionDep, page: PageDep) -> Page[VersionPublic]:
    row = _service(session, scope.workspace_id, service_id)
    return paginate(services.read_versions(session, row), page, VersionPublic.model_validate)


@router.post("/{service_id}/versions", response_model=VersionPublic, status_code=201)
def create_version(service_id: str, scope: WorkspaceBuilder, session: SessionDep) -> VersionPublic:
    row = _service(session, scope.workspace_id, service_id)
    return VersionPublic.model_validate(services.create_version(session, row))


@router.post("/{service_id}/versions/{version_id}/publish", response_model=VersionPublic)
def publish_version(
    service_id: str, version_id: str, scope: WorkspaceBuilder, session: SessionDep, runtime: RuntimeDep
) -> VersionPublic:
    row = _service(session, scope.workspace_id, service_id)
    version = services.publish_version(session, row, services.read_version(session, row, version_id))
    runtime.changed()
    return VersionPublic.model_validate(version)


@router.get("/{service_id}/skills", response_model=SkillBundle)
def read_skills(
    service_id: str, scope: WorkspaceViewer, session: SessionDep, version: str | None = None
) -> SkillBundle:
    """The skill bundle frozen when the version (default: the latest published) was published."""
    row = _service(session, scope.workspace_id, service_id)
    return SkillBundle.model_validate(services.read_skills(session, row, version))


# -- endpoints ---------------------------------------------------------------------


@router.get("/{service_id}/versions/{version_id}/endpoints", response_model=Page[EndpointPublic])
def read_endpoints(
    service_id: str, version_id: str, scope: WorkspaceViewer, session: SessionDep, page: PageDep
) -> Page[EndpointPublic]:
    row = _service(session, scope.workspace_id, service_id)
    version = services.read_version(session, row, version_id)
    return paginate(services.read_endpoints(session, version), page, EndpointPublic.model_validate)


@router.post("/{service_id}/versions/{version_id}/endpoints", response_model=EndpointPublic, status_code=201)
def create_endpoint(
    service_id: str, version_id: str, body: EndpointCreate, scope: WorkspaceBuilder, session: SessionDep
) -> EndpointPublic:
    row = _service(session, scope.workspace_id, service_id)
    version = services.read_version(session, row, version_id)
    data = body.model_dump(exclude_unset=False)
    return EndpointPublic.model_validate(services.create_endpoint(session, row, version, data))


@router.delete("/{service_id}/versions/{version_id}/endpoints/{endpoint_id}", status_code=204)
def delete_endpoint(
    service_id: str, version_id: str, endpoint_id: str, scope: WorkspaceBuilder, session: SessionDep
) -> Response:
    row = _service(session, scope.workspace_id, service_id)
    services.delete_endpoint(session, row, services.read_version(session, row, version_id), endpoint_id)
    return Response(status_code=204)


# -- async jobs --------------------------------------------------------------------


@router.get("/{service_id}/jobs", response_model=Page[JobPublic])
async def read_jobs(
    service_id: str, scope: WorkspaceViewer, request: Request, page: PageDep, status: QueryWord = None
) -> Page[JobPublic]:
    """The service's jobs, newest first, optionally of one ``status``."""
    platform = request.app.state.platform

    def load() -> list[ServiceJob]:
        # A read session: this request's own session already holds SQLite's write lock.
        with platform.read_sessions() as session:
            row = _service(session, scope.workspace_id, service_id)
            stmt = select(ServiceJob).where(ServiceJob.service_id == row.id)
            if status:
                stmt = stmt.where(ServiceJob.status == status)
            return list(session.scalars(stmt.order_by(ServiceJob.created_at.desc(), ServiceJob.id)))

    return paginate(await asyncio.to_thread(load), page, JobPublic.model_validate)


@router.get("/{service_id}/jobs/{job_id}", response_model=JobPublic)
async def read_job(service_id: str, job_id: str, scope: WorkspaceViewer, request: Request) -> JobPublic:
    platform = request.app.state.platform

    def load() -> JobPublic:
        with platform.read_sessions() as session:
            row = _service(session, scope.workspace_id, service_id)
            job = session.get(ServiceJob, parse_id(job_id, "job"))
            if job is None or job.service_id != row.id:
                raise NotFound("job not found")
            return JobPublic.model_validate(job)

    return await asyncio.to_thread(load)
