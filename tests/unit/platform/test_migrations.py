"""The migration script directory: one line of history for the next migration to build on."""

from __future__ import annotations

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from flow_platform.platform import Platform
from flow_platform.settings import Settings
from flow_platform.store.migrate import alembic_config, upgrade


def test_the_script_directory_has_exactly_one_head():
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert len(heads) == 1, f"several heads {sorted(heads)}: add a merge revision whose down_revision names them all"


def test_a_fresh_store_upgrades_to_that_head(tmp_path):
    platform = Platform.open(Settings(data_dir=tmp_path, secret_key="unit-test"))
    try:
        upgrade(platform.engine, platform.settings)
        with platform.engine.connect() as conn:
            current = set(MigrationContext.configure(conn).get_current_heads())
        assert current == set(ScriptDirectory.from_config(alembic_config()).get_heads())
        # Upgrading again (a second platform process starting) changes nothing.
        upgrade(platform.engine, platform.settings)
        with platform.engine.connect() as conn:
            assert set(MigrationContext.configure(conn).get_current_heads()) == current
    finally:
        platform.close()
