"""``python -m benchmarks [NAME...]``: run the named benchmarks (default: all)."""

from __future__ import annotations

import argparse
import importlib
import sys
import time

BENCHMARKS = ("throughput", "overhead", "discovery", "memory", "calls", "scale")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument(
        "names", nargs="*", choices=[*BENCHMARKS, []], metavar="NAME", help=", ".join(BENCHMARKS)
    )
    args = parser.parse_args(argv)
    for name in args.names or BENCHMARKS:
        print(f"== {name} ==", flush=True)
        started = time.perf_counter()
        importlib.import_module(f"benchmarks.{name}").run()
        print(f"   ({name} took {time.perf_counter() - started:.1f} s)\n", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
