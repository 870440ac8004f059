#!/usr/bin/env python3
"""Developer entry point: needs only python3; makes its own virtual environment.

python3 dev.py quickstart   # run the walkthrough on an embedded emulator
python3 dev.py test         # run the whole test suite (SQLite and PostgreSQL)
python3 dev.py bench        # run the benchmarks (not part of the tests)
python3 dev.py lint         # ruff
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("FLOW_DEV_VENV", ROOT / ".venv"))
BIN = VENV / "bin"
PY = BIN / "python"


def _stamp() -> str:
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()


def ensure_venv() -> None:
    """Create .venv and install the project with every extra, once per pyproject change."""
    marker = VENV / ".flow-dev-stamp"
    if marker.exists() and marker.read_text() == _stamp() and PY.exists():
        return
    if not PY.exists():
        print(f"creating virtual environment in {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print("installing flow-sdk with the platform and dev extras (first run only)", flush=True)
    pip = [str(PY), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "-e", f"{ROOT}[dev]"], check=True)
    marker.write_text(_stamp())


def run(args: list[str]) -> int:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.call(args, cwd=ROOT, env=env)


def cmd_test(extra: list[str]) -> int:
    workers = os.environ.get("FLOW_TEST_WORKERS", "2")
    code = run([str(PY), "-m", "pytest", "-n", workers, "--dist", "loadfile", *extra])
    if code == 5:
        print("pytest collected no tests: that is a failure here", file=sys.stderr)
        return 1
    return code


COMMANDS = {
    "quickstart": lambda extra: run([str(PY), str(ROOT / "examples" / "quickstart.py"), *extra]),
    "test": cmd_test,
    "bench": lambda extra: run([str(PY), str(ROOT / "benchmarks" / "run.py"), *extra]),
    "lint": lambda extra: (
        run([str(BIN / "ruff"), "check", "src", "tests", "benchmarks", "examples", *extra]) or run([str(BIN / "mypy")])
    ),
}


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    ensure_venv()
    return COMMANDS[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
