"""Run the real ``flow-platform serve`` in a subprocess on a free loopback port."""

from __future__ import annotations

import os
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

READY = re.compile(r"Flow platform listening on (http://\S+)")
START_TIMEOUT = 60.0


@dataclass
class Tenant:
    url: str
    org_id: str
    workspace_id: str
    api_key: str
    api_key_id: str


_SECRETS: dict[str | None, str] = {}


def _secret_for(database_url: str | None) -> str:
    if database_url is None:  # an embedded store of its own data dir
        return secrets.token_urlsafe(32)
    return _SECRETS.setdefault(database_url, secrets.token_urlsafe(32))


class RunningPlatform:
    """One platform process plus direct access to its database for setting up tenants."""

    def __init__(
        self,
        data_dir: Path,
        database_url: str | None,
        backend: str,
        *,
        secret_key: str | None = None,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.database_url = database_url
        self.backend = backend
        # Every process on one database must share the secret (the store refuses another
        # one): platforms on the same PostgreSQL database get the same secret by default.
        self.secret_key = secret_key or _secret_for(database_url)
        self.extra_env = dict(extra_env or {})  # FLOW_* settings of this platform only
        self.proc: subprocess.Popen[str] | None = None
        self.url = ""
        self._platform: Any = None
        self._output: list[str] = []
        self._drainer: threading.Thread | None = None

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("FLOW_")}
        env["FLOW_SECRET_KEY"] = self.secret_key
        env["FLOW_DATA_DIR"] = str(self.data_dir)
        if self.database_url:
            env["FLOW_DATABASE_URL"] = self.database_url
        env.update(self.extra_env)
        return env

    @property
    def settings(self) -> Any:
        from flow_platform.settings import Settings

        return Settings(data_dir=self.data_dir, database_url=self.database_url, secret_key=self.secret_key)

    def start(self, port: int = 0) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "flow_platform", "serve", "--port", str(port), "--log-level", "warning"],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        deadline = time.monotonic() + START_TIMEOUT
        assert self.proc.stdout is not None
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            self._output.append(line)
            match = READY.search(line)
            if match:
                self.url = match.group(1)
                self._drainer = threading.Thread(target=self._drain, daemon=True)
                self._drainer.start()
                return
        self.stop()
        raise RuntimeError("platform did not start:\n" + "".join(self._output[-50:]))

    def _drain(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        for line in self.proc.stdout:
            self._output.append(line)
            del self._output[:-500]

    def output(self) -> str:
        return "".join(self._output)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20.0) -> int | None:
        proc, self.proc = self.proc, None
        if proc is None:
            return None
        if proc.poll() is None:
            proc.send_signal(sig)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
        if self._drainer is not None:
            self._drainer.join(5)  # the pipe reaches EOF once the process is gone
            self._drainer = None
        if proc.stdout is not None:
            proc.stdout.close()
        return proc.returncode

    def restart(self, sig: int = signal.SIGTERM) -> None:
        port = int(self.url.rsplit(":", 1)[1])
        self.stop(sig)
        self.start(port)

    # -- direct database access, for test set-up only -----------------------------
    @contextmanager
    def session(self) -> Iterator[Any]:
        if self._platform is None:
            from flow_platform.platform import Platform

            self._platform = Platform.open(self.settings)
        with self._platform.sessions() as session:
            yield session

    def bootstrap(self, org_name: str | None = None) -> Tenant:
        from flow_platform.domain.tenancy import bootstrap

        with self.session() as session:
            made = bootstrap(
                session,
                self.settings,
                org_name=org_name or f"org-{uuid.uuid4().hex[:8]}",
                workspace_name="main",
            )
            return Tenant(self.url, made.org.id, made.workspace.id, made.key.key, made.key.row.id)

    def create_key(self, tenant: Tenant, role: str) -> str:
        from flow_platform.domain.api_keys import create_api_key

        with self.session() as session:
            return create_api_key(session, self.settings, org_id=tenant.org_id, role=role).key

    def close(self) -> None:
        self.stop()
        if self._platform is not None:
            self._platform.close()

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return httpx.get(self.url + path, timeout=10, **kw)
