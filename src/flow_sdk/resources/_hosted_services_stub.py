"""A stand-in for ``client.hosted_services`` on the service-tokens branch only.

Issue 4 brings the real ``HostedServicesNamespace`` (resources/hosted_services.py). When
the branches meet, move the ``service_tokens`` property below into it and delete this file.
"""

from __future__ import annotations

from functools import cached_property

from ._resource import Resource
from .service_tokens import ServiceTokensNamespace


class HostedServicesNamespace(Resource):
    @cached_property
    def service_tokens(self) -> ServiceTokensNamespace:
        return ServiceTokensNamespace(self._client)
