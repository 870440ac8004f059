"""What a connector instance may be created with."""

import pytest
from pydantic import ValidationError

from flow_platform.schemas.connector_instances import ConnectorInstanceCreate


def make(**body: object) -> ConnectorInstanceCreate:
    return ConnectorInstanceCreate.model_validate(body)


def test_server_instance_needs_host_database_user() -> None:
    ok = make(
        connector="postgres",
        instance_name="pg",
        configuration={"host": "db", "port": 5432, "database": "app", "user": "u"},
        credentials={"password": "p"},
    )
    assert ok.configuration.lock_timeout_ms == 2_000
    assert "p" not in repr(ok.credentials)
    with pytest.raises(ValidationError, match="host"):
        make(connector="mysql", instance_name="m", configuration={"database": "a", "user": "u"})


@pytest.mark.parametrize(
    "configuration",
    [{"path": "/etc/passwd"}, {"database": "/tmp/x.db"}, {"host": "h"}, {"options": {"sslmode": "x"}}],
)
def test_sqlite_takes_no_location(configuration: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        make(connector="sqlite", instance_name="s", configuration=configuration)


def test_sqlite_may_set_timeouts_only() -> None:
    made = make(connector="sqlite", instance_name="s", configuration={"lock_timeout_ms": 100})
    assert made.configuration.lock_timeout_ms == 100


@pytest.mark.parametrize("option", ["options", "sslrootcert", "passfile", "service"])
def test_dangerous_libpq_options_are_refused(option: str) -> None:
    with pytest.raises(ValidationError, match="unsupported options"):
        make(
            connector="postgres",
            instance_name="pg",
            configuration={"host": "h", "database": "d", "user": "u", "options": {option: "x"}},
        )


def test_unknown_fields_and_connectors_are_refused() -> None:
    with pytest.raises(ValidationError):
        make(connector="oracle", instance_name="o")
    with pytest.raises(ValidationError):
        make(connector="sqlite", instance_name="s", credentials={"token": "x"})
    with pytest.raises(ValidationError):
        make(connector="sqlite", instance_name="")


def test_schema_is_a_postgres_setting() -> None:
    server = {"host": "h", "database": "d", "user": "u", "schema": "app"}
    made = make(connector="postgres", instance_name="pg", configuration=server)
    assert made.configuration.model_dump(exclude_none=True, by_alias=True)["schema"] == "app"
    with pytest.raises(ValidationError, match="schema is for postgres"):
        make(connector="mysql", instance_name="m", configuration=server)
    with pytest.raises(ValidationError, match="only set timeouts"):
        make(connector="sqlite", instance_name="s", configuration={"schema": "app"})
