"""``client.jobs``: asynchronous calls to hosted-service endpoints marked ``async_eligible``."""

from __future__ import annotations

import time
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
    ) -> dict[str, Any]:
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
        result: dict[str, Any] = self._client._request(
            "POST", url, json=body, params=query, headers=headers, idempotent=idempotency_key is not None
        )
        return result

    def get(self, service_id: str, job_id: str) -> dict[str, Any]:
        """The job's state: ``staged``, ``running``, ``succeeded`` (``result``) or ``failed`` (``error``)."""
        seg = self._client._seg
        path = self._client._ws_path(f"/hosted-services/{seg(service_id)}/jobs/{seg(job_id)}")
        result: dict[str, Any] = self._client._request("GET", path)
        return result

    def list(self, service_id: str, *, status: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        """The service's jobs, newest first; ``attempt_log`` on each shows every attempt."""
        path = self._client._ws_path(f"/hosted-services/{self._client._seg(service_id)}/jobs")
        return self._client._get_items(path, params={"status": status, "limit": limit})

    def wait(self, service_id: str, job_id: str, *, timeout: float = 60.0, interval: float = 0.2) -> dict[str, Any]:
        """Poll until the job has succeeded or failed (or ``timeout`` passes)."""
        deadline = time.monotonic() + timeout
        while True:
            job = self.get(service_id, job_id)
            if job["status"] in ("succeeded", "failed") or time.monotonic() >= deadline:
                return job
            time.sleep(interval)
