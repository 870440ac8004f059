"""``client.jobs``: asynchronous calls to hosted-service endpoints marked ``async_eligible``."""

from __future__ import annotations

from typing import Any

from ._resource import Resource
from .invoke import gateway_path


class JobsNamespace(Resource):
    def submit(
        self,
        service_id: str,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        query: dict[str, Any] | None = None,
        version: int | None = None,
        *,
        idempotency_key: str | None = None,
        lane: str | None = None,
    ) -> Any:
        """Stage a call; returns ``{"job_id", "status": "staged", "poll_url", "lane"}``.

        The same ``idempotency_key`` returns the job it first created instead of a new one.
        ``lane="priority"`` (``X-HSL-Lane``) runs before ``standard`` jobs that are waiting.
        """
        headers = {"X-HSL-Target-Method": method.upper()}
        if idempotency_key:
            headers["X-Idempotency-Key"] = idempotency_key
        if lane:
            headers["X-HSL-Lane"] = lane
        url = gateway_path(self._client.config.org_id, service_id, path, version, async_=True)
        return self._client.request(
            "POST", url, json=body, params=query, headers=headers, idempotent=idempotency_key is not None
        )

    def get(self, service_id: str, job_id: str) -> Any:
        """The job's state: ``staged``, ``running``, ``succeeded`` (``result``) or ``failed`` (``error``)."""
        path = self._client.workspace_path("hosted-services", service_id, "jobs", job_id)
        return self._client.request("GET", path)

    def list(self, service_id: str, *, status: str | None = None, limit: int | None = None) -> Any:
        """The service's jobs, newest first; ``attempt_log`` on each shows every attempt."""
        path = self._client.workspace_path("hosted-services", service_id, "jobs")
        items = self._client.list_all(path, params={"status": status} if status else None)
        return items[:limit] if limit is not None else items

    def wait(self, service_id: str, job_id: str, *, timeout: float = 60.0, interval: float = 0.2) -> Any:
        """Poll until the job has succeeded or failed (or ``timeout`` passes)."""
        return self._client.poll(
            lambda: self.get(service_id, job_id),
            lambda job: job["status"] in ("succeeded", "failed"),
            timeout=timeout,
            interval=interval,
        )
