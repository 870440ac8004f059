"""Who may call a hosted-service endpoint: the one list of auth modes.

The gateway holds one authenticator per mode and refuses to start without one for every
member (`gateway/authenticators.py`), so a mode added here cannot reach a call unhandled.
"""

from __future__ import annotations

from enum import StrEnum


class AuthMode(StrEnum):
    PLATFORM = "platform"  # a platform access token or API key of the service's org
    SERVICE_TOKEN = "service_token"  # an fl_hsl_ token minted for this very service
    PUBLIC = "public"  # anyone; the handler sees no claims
