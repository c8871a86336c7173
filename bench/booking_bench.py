"""Booking throughput: holds + confirms per second on SQLite and PostgreSQL, and the
200-holds-on-one-vehicle race (`python -m bench.booking_bench`).

Each operation is one transaction on its own session, as one API request would be; the
service layer is called directly, so HTTP and JSON costs are not included. PostgreSQL runs
when MACHI_BENCH_DATABASE_URL (or MACHI_TEST_DATABASE_URL) is set, in a scratch schema.
"""

import os
import statistics
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlmodel import Session

from server.auth.access import Principal, Role
from server.core import migrate
from server.core.db import create_db_engine
from server.core.errors import Conflict
from server.core.settings import Settings
from server.mobility import booking
from server.mobility.demo import load_demo_fleet
from server.mobility.models import Vehicle
from server.mobility.schemas import HoldRequest

VEHICLES = 2_000
WORKERS = 8
RACERS = 200


def _principal(n: int) -> Principal:
    return Principal(
        subject=f"bench-{n}",
        role=Role.RESIDENT,
        patient_id=None,
        scopes=frozenset(),
        client_id="bench",
    )


@contextmanager
def sqlite_engine() -> Iterator[Engine]:
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings.model_validate(
            {"data_dir": folder, "database_url": f"sqlite:///{Path(folder) / 'bench.db'}"}
        )
        engine = create_db_engine(settings)
        try:
            yield engine
        finally:
            engine.dispose()


@contextmanager
def postgres_engine(url: str) -> Iterator[Engine]:
    url = Settings.model_validate({"database_url": url}).resolved_database_url
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with create_engine(url).begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = create_engine(url, pool_size=WORKERS + 12, max_overflow=RACERS, pool_timeout=120)

    @event.listens_for(engine, "connect")
    def _search_path(dbapi_connection: object, _record: object) -> None:
        cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
        cursor.execute(f'SET search_path TO "{schema}"')
        cursor.close()
        dbapi_connection.commit()  # type: ignore[attr-defined]

    try:
        yield engine
    finally:
        engine.dispose()
        with create_engine(url).begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


def prepare(engine: Engine) -> list[str]:
    """Migrate, load the demo fleet and add VEHICLES scooters to book."""
    migrate.upgrade(engine)
    ids = [f"bench-{n:05d}" for n in range(VEHICLES)]
    with Session(engine) as session:
        load_demo_fleet(session)
        for n, vehicle_id in enumerate(ids):
            session.add(
                Vehicle(
                    id=vehicle_id,
                    system_id="hitachi-machi",
                    vehicle_type_id="e-kick",
                    code=f"B-{n:05d}",
                    lat=36.59 + n * 1e-5,
                    lon=140.65,
                    battery_percent=90,
                    current_range_meters=22_500,
                )
            )
        session.commit()
    return ids


def _one(engine: Engine, work: Callable[[Session], object]) -> float:
    started = time.perf_counter()
    with Session(engine) as session:
        work(session)
        session.commit()
    return time.perf_counter() - started


def throughput(engine: Engine, ids: list[str]) -> tuple[float, float, float]:
    """(operations per second, p50 ms, p95 ms) of hold + confirm on distinct vehicles."""

    def book(n: int) -> list[float]:
        who = _principal(n)
        held: list[str] = []
        hold_time = _one(
            engine,
            lambda s: held.append(
                booking.hold(
                    s,
                    who,
                    HoldRequest(vehicle_id=ids[n]),
                    idempotency_key=f"h{n}",
                    hold_seconds=300,
                ).id
            ),
        )
        confirm_time = _one(
            engine,
            lambda s: booking.confirm(
                s, who, held[0], idempotency_key=f"c{n}", reservation_minutes=15
            ),
        )
        return [hold_time, confirm_time]

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        latencies = [t for pair in pool.map(book, range(len(ids))) for t in pair]
    elapsed = time.perf_counter() - started
    latencies.sort()
    p95 = latencies[int(len(latencies) * 0.95)]
    return len(latencies) / elapsed, statistics.median(latencies) * 1000, p95 * 1000


def race(engine: Engine) -> tuple[Counter[str], float]:
    """RACERS threads hold one vehicle at once: (outcomes, seconds until all answered)."""
    barrier = threading.Barrier(RACERS)

    def attempt(n: int) -> str:
        barrier.wait()
        with Session(engine) as session:
            try:
                booking.hold(
                    session,
                    _principal(10_000 + n),
                    HoldRequest(vehicle_id="ks-007"),
                    idempotency_key=f"r{n}",
                    hold_seconds=300,
                )
                session.commit()
                return "booked"
            except Conflict:
                session.rollback()
                return "refused"

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=RACERS) as pool:
        outcomes = Counter(pool.map(attempt, range(RACERS)))
    return outcomes, time.perf_counter() - started


def run(name: str, engine: Engine) -> None:
    ids = prepare(engine)
    ops, p50, p95 = throughput(engine, ids)
    outcomes, seconds = race(engine)
    print(
        f"{name:<10} {VEHICLES} holds + {VEHICLES} confirms, {WORKERS} threads: "
        f"{ops:,.0f} ops/s (p50 {p50:.1f} ms, p95 {p95:.1f} ms) | "
        f"{RACERS} racing holds on one vehicle: {outcomes['booked']} booked, "
        f"{outcomes['refused']} refused in {seconds:.2f} s",
        flush=True,
    )


def main() -> None:
    with sqlite_engine() as engine:
        run("sqlite", engine)
    url = os.environ.get("MACHI_BENCH_DATABASE_URL") or os.environ.get("MACHI_TEST_DATABASE_URL")
    if url:
        with postgres_engine(url) as engine:
            run("postgresql", engine)
    else:
        print("postgresql skipped: set MACHI_BENCH_DATABASE_URL", flush=True)


if __name__ == "__main__":
    main()
