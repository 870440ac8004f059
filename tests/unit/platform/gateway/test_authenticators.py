"""Every auth mode has an authenticator, or the gateway does not start."""

from __future__ import annotations

from pathlib import Path

import pytest

from flow_platform.domain.auth_modes import AuthMode
from flow_platform.gateway.app import Gateway
from flow_platform.gateway.auth import public
from flow_platform.gateway.authenticators import default_authenticators, require_every_mode
from flow_platform.gateway.routes import RouteEpoch, RouteTable
from flow_platform.runtime.supervisor import Supervisor


async def _no_services(service_id: str) -> None:
    return None


def test_a_mode_without_an_authenticator_fails_the_start(tmp_path: Path) -> None:
    partial = {AuthMode.PLATFORM: public, AuthMode.PUBLIC: public}
    with pytest.raises(ValueError, match="service_token"):
        Gateway(RouteTable(_no_services, RouteEpoch()), Supervisor(tmp_path), partial)


def test_the_default_registry_covers_every_mode() -> None:
    registry = require_every_mode(default_authenticators(public))
    assert set(registry) == {mode.value for mode in AuthMode}


def test_an_unknown_mode_is_refused() -> None:
    modes = {**default_authenticators(public), "password": public}
    with pytest.raises(ValueError, match="password"):
        require_every_mode(modes)
