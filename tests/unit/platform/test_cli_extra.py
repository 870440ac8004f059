"""A client-only install gets one clear line from flow-platform, not an ImportError."""

from __future__ import annotations

import subprocess
import sys


def test_missing_platform_extra_is_one_line():
    code = (
        "import sys; sys.modules['fastapi'] = None\n"
        "import runpy; runpy.run_module('flow_platform', run_name='__main__')"
    )
    done = subprocess.run([sys.executable, "-c", code, "--help"], capture_output=True, text=True)
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "flow-platform needs the platform extra: pip install 'flow-sdk[platform]' (fastapi is missing)"
    )
