"""Real database servers for the DDL executors: one throwaway database per test module.

Defaults match this machine and CI (PostgreSQL 127.0.0.1:5432 with trust auth,
MariaDB 127.0.0.1:3306 as root without a password); override with
FLOW_TEST_PG_* / FLOW_TEST_MYSQL_* variables. Names are random, so parallel runs
by several people against the same servers do not collide.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import psycopg
import pymysql
import pytest

from flow_platform.domain.ddl.sqlite import create_database
from flow_platform.domain.ddl.target import Target


def _unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


def pg_admin_target(database: str | None = None) -> Target:
    return Target(
        dialect="postgres",
        host=os.environ.get("FLOW_TEST_PG_HOST", "127.0.0.1"),
        port=int(os.environ.get("FLOW_TEST_PG_PORT", "5432")),
        database=database or os.environ.get("FLOW_TEST_PG_DATABASE", "test"),
        user=os.environ.get("FLOW_TEST_PG_USER", "postgres"),
        password=os.environ.get("FLOW_TEST_PG_PASSWORD", ""),
    )


def mysql_admin_target(database: str | None = None) -> Target:
    return Target(
        dialect="mysql",
        host=os.environ.get("FLOW_TEST_MYSQL_HOST", "127.0.0.1"),
        port=int(os.environ.get("FLOW_TEST_MYSQL_PORT", "3306")),
        database=database or os.environ.get("FLOW_TEST_MYSQL_DATABASE", "test"),
        user=os.environ.get("FLOW_TEST_MYSQL_USER", "root"),
        password=os.environ.get("FLOW_TEST_MYSQL_PASSWORD", ""),
    )


def pg_connect(target: Target) -> psycopg.Connection:  # type: ignore[type-arg]
    return psycopg.connect(
        host=target.host,
        port=target.port,
        dbname=target.database,
        user=target.user,
        password=target.password or None,
        autocommit=True,
    )


def mysql_connect(target: Target) -> pymysql.connections.Connection:  # type: ignore[type-arg]
    return pymysql.connect(
        host=target.host,
        port=target.port or 3306,
        user=target.user or "",
        password=target.password or "",
        database=target.database,
        autocommit=True,
    )


@pytest.fixture(scope="module")
def pg_target() -> Iterator[Target]:
    name = _unique("ddl")
    admin = pg_connect(pg_admin_target())
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield pg_admin_target(name)
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture(scope="module")
def mysql_target() -> Iterator[Target]:
    name = _unique("ddl")
    admin = mysql_connect(mysql_admin_target())
    with admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{name}`")
    try:
        yield mysql_admin_target(name)
    finally:
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        admin.close()


@pytest.fixture
def sqlite_target(tmp_path) -> Target:  # type: ignore[no-untyped-def]
    path = tmp_path / "instance.db"
    create_database(str(path))
    return Target(dialect="sqlite", path=str(path))


@pytest.fixture
def table() -> str:
    """A table name no other test uses."""
    return _unique("t")


@pytest.fixture(scope="module")
def pg(pg_target: Target) -> Iterator[psycopg.Connection]:  # type: ignore[type-arg]
    """A side connection to the module's PostgreSQL database, for setup and checks."""
    conn = pg_connect(pg_target)
    yield conn
    conn.close()


@pytest.fixture(scope="module")
def my(mysql_target: Target) -> Iterator[pymysql.connections.Connection]:  # type: ignore[type-arg]
    """A side connection to the module's MariaDB database, for setup and checks."""
    conn = mysql_connect(mysql_target)
    yield conn
    conn.close()
