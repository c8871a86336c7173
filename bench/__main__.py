"""Runs every registered benchmark in turn (`make bench` / `python -m bench`)."""

import importlib
import sys

# Each benchmark module has a `main() -> None`; features register theirs here.
BENCHMARKS: list[str] = [
    "bench.router_bench",
    "bench.journeys_http_bench",
    "bench.fhir_bench",
    "bench.booking_bench",
    "bench.sync_bench",
]


def main() -> int:
    if not BENCHMARKS:
        print("no benchmarks registered yet")
        return 0
    for name in BENCHMARKS:
        print(f"== {name}", flush=True)
        importlib.import_module(name).main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
