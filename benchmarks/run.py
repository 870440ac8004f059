"""Run the benchmarks: ``python3 dev.py bench [NAME] [options]``. They are never part of the tests.

Each benchmark is a module here with a ``main()`` that reads its own options and prints
ratios against a baseline measured in the same run.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

BENCHMARKS = {"gateway": "gateway"}


def main() -> int:
    sys.path.insert(0, str(Path(__file__).parent))
    args = sys.argv[1:]
    names = [args.pop(0)] if args and args[0] in BENCHMARKS else list(BENCHMARKS)
    code = 0
    for name in names:
        sys.argv = [f"{name}.py", *args]
        code |= importlib.import_module(BENCHMARKS[name]).main()
    return code


if __name__ == "__main__":
    sys.exit(main())
