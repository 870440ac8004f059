"""Throw-away databases on the machine's real PostgreSQL and MariaDB for DDL tests.

Defaults match this machine and CI (PostgreSQL 127.0.0.1:5432, trust auth;
MariaDB 127.0.0.1:3306, root without a password). Override with FLOW_TEST_PG_URL
(a libpq URL to an admin database) and FLOW_TEST_MYSQL_URL
(``mysql://user:password@host:port/database``). Names are random, so parallel
runs by several people against the same servers do not collide.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import unquote, urlsplit

PG_ADMIN_URL = os.environ.get("FLOW_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
MYSQL_ADMIN_URL = os.environ.get("FLOW_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test")


def unique_name(prefix: str = "ddl") -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


def _parts(url: str, default_port: int) -> dict[str, Any]:
    u = urlsplit(url)
    return {
        "host": u.hostname or "127.0.0.1",
        "port": u.port or default_port,
        "user": unquote(u.username or ""),
        "password": unquote(u.password or ""),
        "database": u.path.lstrip("/") or None,
    }


def pg_params(database: str | None = None) -> dict[str, Any]:
    """host, port, user, password, database of the admin URL, or of ``database`` on it."""
    params = _parts(PG_ADMIN_URL, 5432)
    if database:
        params["database"] = database
    return params


def mysql_params(database: str | None = None) -> dict[str, Any]:
    params = _parts(MYSQL_ADMIN_URL, 3306)
    if database:
        params["database"] = database
    return params


def pg_connect(database: str | None = None) -> Any:
    import psycopg

    p = pg_params(database)
    return psycopg.connect(
        host=p["host"],
        port=p["port"],
        user=p["user"],
        password=p["password"] or None,
        dbname=p["database"],
        autocommit=True,
    )


def mysql_connect(database: str | None = None) -> Any:
    import pymysql

    p = mysql_params(database)
    return pymysql.connect(
        host=p["host"],
        port=p["port"],
        user=p["user"],
        password=p["password"],
        database=p["database"],
        autocommit=True,
    )


@contextmanager
def scratch_pg(prefix: str = "ddl") -> Iterator[str]:
    """Create a uniquely named PostgreSQL database, yield its name, drop it afterwards."""
    name = unique_name(prefix)
    with pg_connect() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with pg_connect() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def scratch_mysql(prefix: str = "ddl") -> Iterator[str]:
    """Create a uniquely named MariaDB/MySQL database, yield its name, drop it afterwards."""
    name = unique_name(prefix)
    admin = mysql_connect()
    try:
        with admin.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{name}`")
        yield name
    finally:
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        admin.close()
