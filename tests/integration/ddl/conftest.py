"""Real database servers for the DDL executors: one throwaway database per test module."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from flow_platform.domain.ddl.sqlite import create_database
from flow_platform.domain.ddl.target import Target
from support.ddl_databases import (
    mysql_connect,
    mysql_params,
    pg_connect,
    pg_params,
    scratch_mysql,
    scratch_pg,
)


@pytest.fixture(scope="module")
def pg_target() -> Iterator[Target]:
    with scratch_pg() as name:
        yield Target(dialect="postgres", **pg_params(name))


@pytest.fixture(scope="module")
def mysql_target() -> Iterator[Target]:
    with scratch_mysql() as name:
        yield Target(dialect="mysql", **mysql_params(name))


@pytest.fixture(scope="module")
def pg(pg_target: Target) -> Iterator[Any]:
    """A side connection to the module's PostgreSQL database, for setup and checks."""
    conn = pg_connect(pg_target.database)
    yield conn
    conn.close()


@pytest.fixture(scope="module")
def my(mysql_target: Target) -> Iterator[Any]:
    """A side connection to the module's MariaDB database, for setup and checks."""
    conn = mysql_connect(mysql_target.database)
    yield conn
    conn.close()


@pytest.fixture
def sqlite_target(tmp_path: Any) -> Target:
    path = tmp_path / "instance.db"
    create_database(str(path))
    return Target(dialect="sqlite", path=str(path))


@pytest.fixture
def table() -> str:
    """A table name no other test uses."""
    return f"t_{uuid.uuid4().hex[:12]}"
