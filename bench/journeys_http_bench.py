"""`/api/v1/journeys` over real HTTP: a live `machi serve` on each big feed, then the demo feed
under 20 concurrent clients (`python -m bench.journeys_http_bench`).

Writes the "## Journeys over HTTP" section of docs/benchmarks.md. Targets (DESIGN.md §8):
p50 ≤ 50 ms on nyc_subway_full and tampa_hart; demo feed with 20 clients ≥ 100 req/s and
p95 ≤ 100 ms. The big feeds come from ../shared/data/gtfs (skipped when absent).
"""

import csv
import io
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from bench.report import ROOT, machine_line, write_section

SHARED_GTFS = ROOT.parent / "shared" / "data" / "gtfs"
# A weekday inside each feed's calendar (as in the router benchmark).
BIG_FEEDS = {"nyc_subway_full": "2018-08-22", "tampa_hart": "2018-04-18"}
# Both are in US Eastern time, on daylight saving time on those dates.
FEED_OFFSET = "-04:00"
QUERIES = 300
DEMO_CLIENTS = 20
DEMO_REQUESTS = 1000


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _machi(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "server.cli", *args], env=env, check=True, stdout=subprocess.DEVNULL
    )


@contextmanager
def _server(data_dir: Path, *setup: list[str]) -> Iterator[str]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MACHI_")}
    env.update(
        MACHI_DATA_DIR=str(data_dir),
        MACHI_PORT=str(port),
        MACHI_WEB_CLIENT="false",
        MACHI_LOG_LEVEL="WARNING",
    )
    for args in setup:
        _machi(env, *args)
    process = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "serve"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def _stop_ids(feed_zip: Path) -> list[str]:
    with zipfile.ZipFile(feed_zip) as archive:
        name = next(n for n in archive.namelist() if n.endswith("stops.txt"))
        rows = csv.DictReader(io.TextIOWrapper(archive.open(name), encoding="utf-8-sig"))
        return [r["stop_id"] for r in rows if (r.get("location_type") or "0") in ("0", "")]


def _query(client: httpx.Client, params: dict[str, str]) -> tuple[float, int]:
    started = time.perf_counter()
    response = client.get("/api/v1/journeys", params=params)
    elapsed = (time.perf_counter() - started) * 1000
    response.raise_for_status()
    return elapsed, len(response.json()["itineraries"])


def bench_big_feed(name: str, day: str, work: Path) -> str:
    feed_zip = SHARED_GTFS / f"{name}.zip"
    if not feed_zip.exists():
        return f"| {name} | skipped: {feed_zip} not found | | |"
    rng = random.Random(20261122)
    stops = _stop_ids(feed_zip)
    data_dir = work / name
    with (
        _server(
            data_dir, ["db", "upgrade"], ["gtfs", "import", str(feed_zip), "--id", "f"]
        ) as base,
        httpx.Client(base_url=base, timeout=30) as client,
    ):

        def params() -> dict[str, str]:
            origin, destination = rng.sample(stops, 2)
            hour, minute = rng.randint(6, 19), rng.randint(0, 59)
            return {
                "from": f"stop:f:{origin}",
                "to": f"stop:f:{destination}",
                "time": f"{day}T{hour:02d}:{minute:02d}:00+09:00",
            }

        for _ in range(20):  # warm-up: first queries load the timetable and numba's cache
            _query(client, params())
        timings, found = [], 0
        for _ in range(QUERIES):
            elapsed, count = _query(client, params())
            timings.append(elapsed)
            found += count > 0
    return (
        f"| {name} | {_pct(timings, 0.5):.1f} / {_pct(timings, 0.95):.1f} ms | "
        f"{QUERIES} ({found} with an itinerary) | p50 ≤ 50 ms |"
    )


def bench_demo_concurrency(work: Path) -> str:
    rng = random.Random(7)
    stations = [
        "jr_katsuta",
        "jr_tokai",
        "jr_omika",
        "jr_taga",
        "jr_hitachi",
        "jr_ogitsu",
        "jr_juo",
    ]
    jobs = []
    for _ in range(DEMO_REQUESTS):
        origin, destination = rng.sample(stations, 2)
        jobs.append(
            {
                "from": f"stop:hitachi:{origin}",
                "to": f"stop:hitachi:{destination}",
                "time": f"2026-11-24T{rng.randint(6, 20):02d}:{rng.randint(0, 59):02d}:00+09:00",
            }
        )
    with _server(work / "demo", ["demo", "--no-serve"]) as base:
        with httpx.Client(base_url=base, timeout=30) as warm:
            for params in jobs[:20]:
                _query(warm, params)
        timings: list[float] = []
        lock = threading.Lock()
        queue = iter(jobs)

        def worker() -> None:
            with httpx.Client(base_url=base, timeout=30) as client:
                while True:
                    with lock:
                        params = next(queue, None)
                    if params is None:
                        return
                    elapsed, _ = _query(client, params)
                    with lock:
                        timings.append(elapsed)

        started = time.perf_counter()
        threads = [threading.Thread(target=worker) for _ in range(DEMO_CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - started
    return (
        f"| demo feed, {DEMO_CLIENTS} concurrent clients | {len(timings) / wall:.0f} req/s | "
        f"p50 {statistics.median(timings):.1f} / p95 {_pct(timings, 0.95):.1f} ms | "
        f"≥ 100 req/s, p95 ≤ 100 ms |"
    )


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="machi-http-bench-") as tmp:
        work = Path(tmp)
        machine = machine_line()
        big = [bench_big_feed(name, day, work) for name, day in BIG_FEEDS.items()]
        demo = bench_demo_concurrency(work)
    text = "\n".join(
        [
            "## Journeys over HTTP",
            "",
            f"`python -m bench.journeys_http_bench` on {machine}.",
            "A real `machi serve` (uvicorn, one process, SQLite) per feed; sequential",
            "stop-to-stop queries at random weekday times 6:00–20:00 (the feed's local time)",
            "from a seeded generator, after 20 warm-up queries.",
            "",
            "| feed | `/api/v1/journeys` p50 / p95 | queries | target |",
            "|---|---:|---:|---|",
            *big,
            "",
            "| load | throughput | latency | target |",
            "|---|---:|---:|---|",
            demo,
            "",
        ]
    )
    print(text)
    write_section("Journeys over HTTP", text)


if __name__ == "__main__":
    main()
