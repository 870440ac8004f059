"""Route-cache invalidation across platform processes that share a PostgreSQL database.

Writers `NOTIFY` a channel after every committed change to a service; each platform
process keeps one connection that `LISTEN`s on it and bumps its local route epoch per
notification. No call pays a database round trip for it, and a change reaches every
process as fast as PostgreSQL delivers the notification (well under a millisecond on
one host). After a lost connection the listener reconnects and invalidates once, for
whatever it may have missed in between.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from sqlalchemy import Engine, text

log = logging.getLogger("flow_platform.gateway")
CHANNEL = "flow_services_changed"


def notify(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.execute(text(f"NOTIFY {CHANNEL}"))
        conn.commit()


class ChangeListener:
    def __init__(self, engine: Engine, on_change: Callable[[], None]) -> None:
        url = engine.url.set(drivername="postgresql")
        self._conninfo = url.render_as_string(hide_password=False)
        self._on_change = on_change
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="services-listener", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        import psycopg

        while not self._stop.is_set():
            try:
                with psycopg.connect(self._conninfo, autocommit=True) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self._on_change()  # anything committed while we were not listening
                    while not self._stop.is_set():
                        for _ in conn.notifies(timeout=0.5):
                            self._on_change()
            except psycopg.Error as err:
                log.warning("route-change listener lost its connection (%s); reconnecting", err)
                self._stop.wait(1.0)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
