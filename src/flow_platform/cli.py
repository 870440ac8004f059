"""The ``flow-platform`` command: serve the emulator and administer its database."""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import socket
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NoReturn

import click

try:  # `pip install flow-sdk` brings this module but not what it runs on
    import cryptography  # noqa: F401
    import fastapi  # noqa: F401
    import sqlalchemy  # noqa: F401
except ImportError as _missing:
    sys.exit(f"flow-platform needs the platform extra: pip install 'flow-sdk[platform]' ({_missing.name} is missing)")

from flow_sdk.cli._one_line import OneLineErrors

from .settings import DEFAULT_HOST, DEFAULT_PORT, Settings  # noqa: E402

if TYPE_CHECKING:
    _TextType = click.ParamType[str]
else:  # click's ParamType is generic only in recent releases
    _TextType = click.ParamType


class Label(_TextType):
    """One line of printable text that fits a name column: the store refuses NUL, people the rest."""

    name = "text"

    def __init__(self, max_length: int = 200) -> None:
        self.max_length = max_length

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        text = str(value)
        if len(text) > self.max_length:
            self.fail(f"is longer than {self.max_length} characters", param, ctx)
        if any(ord(c) < 32 or ord(c) == 127 for c in text):
            self.fail("may not contain control characters", param, ctx)
        return text


LOG_LEVELS = click.Choice(["critical", "error", "warning", "info", "debug", "trace"], case_sensitive=False)


def _store_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    fn = click.option(
        "--database-url",
        envvar="FLOW_DATABASE_URL",
        type=Label(4096),
        help="SQLAlchemy URL, e.g. postgresql+psycopg://user@host/db. Default: SQLite in the data dir.",
    )(fn)
    fn = click.option(
        "--data-dir",
        envvar="FLOW_DATA_DIR",
        type=Folder(file_okay=False),
        help="Where the platform keeps its state. Default: ~/.local/share/flow-platform.",
    )(fn)
    return fn


class Folder(click.Path):
    """A click.Path that refuses NUL before it stats the path (os.stat raises ValueError on one)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if "\x00" in str(value):
            self.fail("may not contain NUL characters", param, ctx)
        return super().convert(value, param, ctx)


def _settings(data_dir: str | None, database_url: str | None, **extra: Any) -> Settings:
    try:
        return Settings.from_env(data_dir=data_dir, database_url=database_url, **extra)
    except ValueError as exc:  # a FLOW_* variable that does not parse, e.g. FLOW_PORT=http
        _fail(f"bad setting in the environment: {exc}")


@contextmanager
def _platform_session(settings: Settings) -> Iterator[Any]:
    from .platform import Platform
    from .store.migrate import upgrade
    from .store.secret_check import SecretMismatch, check_master_secret

    check_database(settings)
    platform = Platform.open(settings)
    try:
        upgrade(platform.engine, settings)
        try:
            check_master_secret(platform.sessions, settings)
        except SecretMismatch as exc:
            _fail(str(exc))
        with platform.sessions() as session:
            yield session
    finally:
        platform.close()


def check_database(settings: Settings) -> None:
    """Fail with one line, not a driver traceback, when the database cannot be opened."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, SQLAlchemyError

    from .store.db import make_engine

    try:
        shown = make_url(settings.resolved_database_url).render_as_string(hide_password=True)
    except ArgumentError:
        _fail("--database-url is not a database URL (e.g. postgresql+psycopg://user@host/db)")
    try:
        engine = make_engine(settings)
    except (ArgumentError, ImportError, OSError) as exc:
        _fail(f"cannot use database {shown}: {exc}")
    if engine.dialect.name == "sqlite":
        # Opening a new SQLite file switches it to WAL, which races a concurrent first
        # start; migrations open it under their file lock, and report errors themselves.
        engine.dispose()
        return
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        _fail(f"cannot open database {shown}: {reason}")
    finally:
        engine.dispose()


def _fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)




@click.group(cls=OneLineErrors, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="flow-sdk", prog_name="flow-platform")
def main() -> None:
    """Local emulator of the Flow platform."""


@main.command()
@click.option("--host", default=DEFAULT_HOST, envvar="FLOW_HOST", show_default=True, type=Label(253))
@click.option(
    "--port",
    default=DEFAULT_PORT,
    type=click.IntRange(0, 65535),
    envvar="FLOW_PORT",
    show_default=True,
    help="0 picks a free port; the URL is printed once the server listens.",
)
@_store_options
@click.option("--log-level", default="info", envvar="FLOW_LOG_LEVEL", show_default=True, type=LOG_LEVELS)
def serve(host: str, port: int, data_dir: str | None, database_url: str | None, log_level: str) -> None:
    """Serve the platform API until SIGTERM or Ctrl-C."""
    import uvicorn

    from .app import create_app
    from .runtime.logs import LogPolicy

    log_level = log_level.lower()
    try:
        settings = _settings(data_dir, database_url, host=host, port=port, log_level=log_level)
        LogPolicy(file_bytes=settings.service_log_bytes, files=settings.service_log_files)
    except ValueError as exc:
        _fail(f"invalid setting: {exc}")
    # Bind first, so port 0 works and the printed URL is the real one, with no race.
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except (OSError, UnicodeError, ValueError) as exc:
        sock.close()
        _fail(f"cannot listen on {host}:{port}: {getattr(exc, 'strerror', None) or exc}")
    sock.listen(2048)
    # Open, upgrade and check the store before serving (or logging) anything, so that a
    # bad URL or a wrong secret is one line rather than a failed start.
    with _platform_session(settings):
        pass
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    bound_port = sock.getsockname()[1]
    url = f"http://{host if family == socket.AF_INET else f'[{host}]'}:{bound_port}"
    store = "postgresql" if not settings.is_sqlite else f"sqlite ({settings.data_dir})"

    def announce() -> None:
        _write_server_file(settings, url)
        # Tests and the quickstart wait for this exact line: keep its shape.
        click.echo(f"Flow platform listening on {url} (store: {store}, pid {os.getpid()})")
        sys.stdout.flush()

    # Sandboxed workers have no network: they reach the API over this Unix socket.
    api_dir = tempfile.mkdtemp(prefix="flow-api-")
    os.chmod(api_dir, 0o711)  # other uids may pass through to the socket, not list the folder
    api_path = os.path.join(api_dir, "api.sock")
    api_sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    api_sock.bind(api_path)
    os.chmod(api_path, 0o666)
    api_sock.listen(2048)
    from .sandbox.report import describe

    line = describe(settings)
    logging.getLogger("flow_platform").log(logging.WARNING if "MISSING" in line else logging.INFO, "sandbox: %s", line)
    app = create_app(settings.with_overrides(port=bound_port, api_socket=api_path), on_ready=announce)
    config = uvicorn.Config(
        app,
        log_level=log_level,
        access_log=log_level == "debug",
        http="httptools",
        loop="uvloop",
        lifespan="on",
        timeout_graceful_shutdown=10,
        # Nothing sits in front of the emulator, so there are no forwarded headers to trust.
        proxy_headers=False,
    )
    server = uvicorn.Server(config)
    # uvicorn restores the handlers it found and re-raises the signal it shut down on;
    # these make that re-raise a no-op, so a graceful stop exits 0 instead of dying by it.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: None)
    try:
        server.run(sockets=[sock, api_sock])
    finally:
        shutil.rmtree(api_dir, ignore_errors=True)
        _remove_server_file(settings)
    click.echo("Flow platform stopped")


def _server_file(settings: Settings) -> Any:
    return settings.data_dir / "run" / "server.json"


def _write_server_file(settings: Settings, url: str) -> None:
    """Where the server of this data dir listens, so `bootstrap` can print the real URL."""
    path = _server_file(settings)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"url": url, "pid": os.getpid()}))
    tmp.replace(path)


def _remove_server_file(settings: Settings) -> None:
    path = _server_file(settings)
    try:
        if json.loads(path.read_text()).get("pid") == os.getpid():
            path.unlink()
    except (OSError, ValueError):
        pass


def _running_server_url(settings: Settings) -> str | None:
    """The URL a live `serve` of this data dir wrote, or None (none running, or it died)."""
    try:
        info = json.loads(_server_file(settings).read_text())
        os.kill(int(info["pid"]), 0)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    url = info.get("url")
    return url if isinstance(url, str) else None


@main.command()
@click.option("--org", "org_name", default="default", show_default=True, type=Label(), help="Organization name.")
@click.option("--workspace", "workspace_name", default="default", show_default=True, type=Label())
@click.option(
    "--platform-url",
    envvar="FLOW_PLATFORM_URL",
    default=None,
    type=Label(2048),
    help="URL printed for clients. Default: that of the server running on this data dir, else http://HOST:PORT.",
)
@click.option("--email", default=None, help="The admin's email, shown by /auth/me.")
@_store_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def bootstrap(
    org_name: str,
    workspace_name: str,
    platform_url: str | None,
    email: str | None,
    data_dir: str | None,
    database_url: str | None,
    as_json: bool,
) -> None:
    """Create an org, a workspace with rings dev/staging/production, and an admin API key."""
    from .domain.errors import DomainError
    from .domain.tenancy import bootstrap as do_bootstrap

    settings = _settings(data_dir, database_url)
    url = platform_url or _running_server_url(settings) or f"http://{settings.host}:{settings.port}"
    try:
        with _platform_session(settings) as session:
            made = do_bootstrap(session, settings, org_name=org_name, workspace_name=workspace_name, email=email)
            result = {
                "org_id": made.org.id,
                "workspace_id": made.workspace.id,
                "api_key": made.key.key,
                "api_key_id": made.key.row.id,
                "platform_url": url,
            }
    except DomainError as exc:
        _fail(exc.message)
    if as_json:
        click.echo(json.dumps(result, indent=2))
        return
    click.echo(f"Organization  {org_name}  {result['org_id']}")
    click.echo(f"Workspace     {workspace_name}  {result['workspace_id']}")
    click.echo(f"Admin API key {result['api_key']}")
    click.echo("              (shown once: store it now)")
    click.echo(f"\nNext: flow-sdk login --api-key {result['api_key']} --url {url}")


@main.group("api-keys")
def api_keys() -> None:
    """Create and revoke org API keys directly in the platform's database."""


@api_keys.command("create")
@click.option("--org", "org_id", required=True, type=Label(64), help="Organization id.")
@click.option("--role", type=click.Choice(["admin", "builder", "viewer"]), required=True)
@click.option("--workspace", "workspace_id", default=None, type=Label(64), help="Bind the key to one workspace.")
@click.option("--name", default="", type=Label(), help="A label for people.")
@click.option(
    "--kind",
    type=click.Choice(["org", "deploy"]),
    default="org",
    show_default=True,
    help="deploy: an fl_deploy_ key for CI, bound to --workspace, that only creates, promotes and rolls back"
    " deployments.",
)
@click.option("--email", default=None, type=Label(254), help="The key owner's email, shown by /auth/me.")
@_store_options
@click.option("--json", "as_json", is_flag=True)
def api_keys_create(
    org_id: str,
    role: str,
    workspace_id: str | None,
    name: str,
    kind: str,
    email: str | None,
    data_dir: str | None,
    database_url: str | None,
    as_json: bool,
) -> None:
    """Mint an API key; it is printed once and stored only as a keyed hash."""
    from .domain.api_keys import create_api_key
    from .domain.errors import DomainError
    from .domain.ids import parse_id
    from .domain.tenancy import read_org

    settings = _settings(data_dir, database_url)
    try:
        with _platform_session(settings) as session:
            org = read_org(session, org_id)
            ws = parse_id(workspace_id, "workspace") if workspace_id else None
            minted = create_api_key(
                session, settings, org_id=org.id, role=role, workspace_id=ws, name=name, kind=kind, email=email
            )
            result = {
                "id": minted.row.id,
                "org_id": org.id,
                "workspace_id": ws,
                "role": role,
                "kind": kind,
                "email": email,
                "api_key": minted.key,
            }
    except DomainError as exc:
        _fail(exc.message)
    if as_json:
        click.echo(json.dumps(result, indent=2))
    else:
        label = f"{role} deploy" if kind == "deploy" else role
        click.echo(f"{label} key {result['id']}: {result['api_key']}  (shown once)")


@api_keys.command("revoke")
@click.argument("key_id", type=Label(64))
@_store_options
def api_keys_revoke(key_id: str, data_dir: str | None, database_url: str | None) -> None:
    """Revoke an API key; tokens exchanged from it stop working too."""
    from .domain.api_keys import revoke_api_key
    from .domain.errors import DomainError
    from .domain.ids import parse_id

    settings = _settings(data_dir, database_url)
    try:
        with _platform_session(settings) as session:
            row = revoke_api_key(session, parse_id(key_id, "API key"))
            click.echo(f"revoked {row.id} at {row.revoked_at:%Y-%m-%dT%H:%M:%SZ}")
    except DomainError as exc:
        _fail(exc.message)


if __name__ == "__main__":
    main()
