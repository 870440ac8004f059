"""``FLOW_LOG=debug`` turns on the ``flow_sdk`` logger; it never prints a token or key."""

from __future__ import annotations

import logging
import os

_configured = False


def setup_from_env() -> None:
    global _configured
    level = os.environ.get("FLOW_LOG", "").upper()
    if _configured or not level:
        return
    logger = logging.getLogger("flow_sdk")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        logger.addHandler(handler)
    logger.setLevel(getattr(logging, level, logging.INFO))
    _configured = True
