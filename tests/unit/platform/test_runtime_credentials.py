"""Runtime credentials: fresh per worker start, renewed by replacing an old worker."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from flow_platform.runtime.bundle import Bundle, EndpointSpec
from flow_platform.runtime.supervisor import Supervisor

TOKEN = "import os\ndef main(r):\n    return [int(os.readlink('/proc/self')), os.environ.get('AUTH_TOKEN')]\n"


def _request() -> bytes:
    return b"GET /t HTTP/1.1\r\nhost: worker\r\ncontent-length: 0\r\n\r\n"


def test_each_worker_start_gets_fresh_credentials_and_old_workers_are_replaced(tmp_path: Path):
    minted: list[str] = []

    async def credentials(bundle: Bundle) -> dict[str, str]:
        minted.append(f"token-{len(minted) + 1}")
        return {"AUTH_TOKEN": minted[-1]}

    async def main() -> list[list[object]]:
        sup = Supervisor(tmp_path, credentials=credentials, max_age=0.5)
        bundle = Bundle("svc", 1, (EndpointSpec("GET", "/t", TOKEN),))
        try:
            answers = []
            for pause in (0, 0, 0.8):
                await asyncio.sleep(pause)
                status, body = await sup.call(bundle, _request(), 10)
                assert status == 200, body
                answers.append(json.loads(body))
            return answers
        finally:
            await sup.aclose()

    first, again, renewed = asyncio.run(main())
    assert first == again and first[1] == "token-1"
    assert renewed[1] == "token-2" and renewed[0] != first[0]
    assert minted == ["token-1", "token-2"]
    assert "due for renewal" in (tmp_path / "svc" / "v1.log").read_text()
