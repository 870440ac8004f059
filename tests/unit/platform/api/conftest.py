"""Route tests in process: the real app on a temporary SQLite file, through FastAPI's TestClient.

Beside the end-to-end tests (a real server over a socket), these can swap one dependency
for a faulty one (`app.dependency_overrides`), so store errors and stalls are cheap to
inject. The app's lifespan is not run: the schema is migrated here and no deployer
thread starts, which is itself the "deployer that never comes" case.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from flow_platform.app import create_app
from flow_platform.domain.tenancy import bootstrap
from flow_platform.platform import Platform
from flow_platform.settings import Settings
from flow_platform.store.migrate import upgrade


@dataclass
class InProcess:
    app: FastAPI
    client: TestClient
    platform: Platform
    org_id: str
    workspace_id: str
    api_key: str

    @property
    def ws_path(self) -> str:
        return f"/api/v1/orgs/{self.org_id}/workspaces/{self.workspace_id}"


@pytest.fixture
def api(tmp_path: Path) -> Iterator[InProcess]:
    settings = Settings(data_dir=tmp_path / "data", secret_key="route-tests-secret-0123456789abcdef")
    app = create_app(settings)
    platform: Platform = app.state.platform
    upgrade(platform.engine, settings)
    with platform.sessions() as session:
        made = bootstrap(session, settings, org_name="acme", workspace_name="default")
        org_id, workspace_id, key = made.org.id, made.workspace.id, made.key.key
    # raise_server_exceptions=False: a test sees the answer a caller would, not the exception.
    client = TestClient(app, raise_server_exceptions=False, headers={"X-API-Key": key})
    try:
        yield InProcess(app, client, platform, org_id, workspace_id, key)
    finally:
        client.close()
        platform.close()
