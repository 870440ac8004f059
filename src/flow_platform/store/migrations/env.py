"""Alembic environment: always run programmatically with a connection handed in."""

from alembic import context

from flow_platform.store import tables  # noqa: F401  (registers every table)
from flow_platform.store.base import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
