"""The running platform's shared parts, built once by the app factory."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from .scratch import ScratchSpace
from .settings import Settings
from .store.db import make_engine, make_read_sessionmaker, make_sessionmaker


@dataclass
class Platform:
    settings: Settings
    engine: Engine
    # Work that may write takes the write lock up front on SQLite; see store/db.py.
    sessions: sessionmaker[Session]
    # Work that only reads (gateway auth, deployer scans): never waits for writers.
    read_sessions: sessionmaker[Session]
    # Background services (deployer, runtime supervisor, ...) register their stop hooks here.
    on_shutdown: list[Callable[[], object]] = field(default_factory=list)
    # Temporary folders of workers and deploy probes; removed at close, swept at open.
    scratch: ScratchSpace | None = None

    @classmethod
    def open(cls, settings: Settings) -> Platform:
        engine = make_engine(settings)
        scratch = ScratchSpace(settings.data_dir)
        scratch.sweep()  # what platform processes killed before they could clean up left
        return cls(
            settings=settings,
            engine=engine,
            sessions=make_sessionmaker(engine),
            read_sessions=make_read_sessionmaker(engine),
            scratch=scratch,
        )

    def close(self) -> None:
        for hook in reversed(self.on_shutdown):
            hook()
        self.on_shutdown.clear()
        self.engine.dispose()
        if self.scratch is not None:  # last: the workers and probes using it have stopped
            self.scratch.close()
