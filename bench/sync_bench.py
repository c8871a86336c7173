"""Sync pull benchmark: a pull with nothing new over 1k and 1M records, and a first pull of
10,000 records (`python -m bench.sync_bench`).

Runs on SQLite (a scratch file) and, when MACHI_BENCH_DATABASE_URL or MACHI_TEST_DATABASE_URL is
set, on PostgreSQL in a scratch schema. Calls the service as one request would (one session,
one transaction, the response serialised to JSON), without HTTP.
"""

import os
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, text
from sqlmodel import Session

from server.auth.access import Principal, Role
from server.auth.models import Consent, User
from server.core import migrate
from server.core.db import create_db_engine
from server.core.settings import Settings
from server.sync import builtin, service

SCHEMA = "machi_sync_bench"
PATIENTS = 10_000  # the background records are spread over this many people
NURSE_PATIENTS = 20  # the nurse's consented patients
FIRST_PULL = 10_000
SCOPES = frozenset({"user/*.cruds", "patient/*.cruds"})
DATA = '{"kind":"systolic","recorded_at":"2026-11-22T07:30:00+09:00","unit":"mm[Hg]","value":128.0}'


def _engine(backend: str, tmp: Path) -> Engine:
    if backend == "postgresql":
        base = os.environ.get("MACHI_BENCH_DATABASE_URL") or os.environ["MACHI_TEST_DATABASE_URL"]
        sep = "&" if "?" in base else "?"
        url = f"{base}{sep}options=-csearch_path%3D{SCHEMA}"
    else:
        url = f"sqlite:///{tmp / 'sync-bench.db'}"
    settings = Settings.model_validate({"data_dir": tmp, "database_url": url, "web_client": False})
    engine = create_db_engine(settings)
    if backend == "postgresql":
        with engine.begin() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
            connection.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    migrate.upgrade(engine)
    return engine


def _fill(engine: Engine, start: int, count: int, patient_sql: str) -> None:
    """Insert `count` diary changes with seq start+1.. in one statement on the server side."""
    if engine.dialect.name == "postgresql":
        numbers = f"SELECT g AS n FROM generate_series({start + 1}, {start + count}) AS g"
    else:
        numbers = (
            f"WITH RECURSIVE c(n) AS (SELECT {start + 1} UNION ALL SELECT n + 1 FROM c "
            f"WHERE n < {start + count}) SELECT n FROM c"
        )
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO sync_change (collection, record_id, seq, patient_id, category, "
                "version, deleted, data, updated_by, updated_at) "
                f"SELECT 'diary_entries', 'r' || n, n, {patient_sql}, 'vitals', 1, false, "
                f":data, 'bench', CURRENT_TIMESTAMP FROM ({numbers}) AS numbers"
            ),
            {"data": DATA},
        )
        connection.execute(
            text("UPDATE sync_counter SET seq = :seq WHERE id = 1"), {"seq": start + count}
        )
        if engine.dialect.name == "postgresql":
            connection.execute(text("ANALYZE sync_change"))


def _people(engine: Engine) -> tuple[Principal, Principal]:
    """A nurse with consents for 20 background patients, and the resident `big`."""
    with Session(engine) as session:
        nurse = User(id="bench-nurse", username="bench-nurse", role="nurse")
        session.add(nurse)
        session.flush()
        for i in range(NURSE_PATIENTS):
            session.add(
                Consent(
                    patient_id=f"bg-{i * 37}",
                    grantee_user_id=nurse.id,
                    categories="vitals care_timeline",
                    period_start=datetime.now(UTC) - timedelta(days=1),
                )
            )
        session.commit()
    as_nurse = Principal("bench-nurse", Role.NURSE, None, SCOPES, "machi-app")
    as_big = Principal("bench-big", Role.RESIDENT, "big", SCOPES, "machi-app")
    return as_nurse, as_big


def _pull_all(engine: Engine, who: Principal, cursor: str | None) -> tuple[str, int, int]:
    """Pull pages until up to date, one transaction per page; returns cursor, records, pages."""
    records = pages = 0
    while True:
        with Session(engine) as session:
            page = service.pull(session, who, cursor, limit=2000)
            page.model_dump_json()
            session.commit()
        records += len(page.changes)
        pages += 1
        cursor = page.cursor
        if not page.has_more:
            return cursor, records, pages


def _nothing_new(engine: Engine, who: Principal, cursor: str, runs: int = 200) -> list[float]:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        _, records, _ = _pull_all(engine, who, cursor)
        times.append((time.perf_counter() - began) * 1000)
        assert records == 0
    return times


def _p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1]


def run(backend: str) -> None:
    assert builtin.DIARY_ENTRIES.name == "diary_entries"
    with tempfile.TemporaryDirectory() as tmp:
        engine = _engine(backend, Path(tmp))
        nurse, big = _people(engine)
        total = 0
        for size in (1_000, 1_000_000):
            began = time.perf_counter()
            _fill(engine, total, size - total, f"'bg-' || (n % {PATIENTS})")
            total = size
            fill_s = time.perf_counter() - began
            cursor, records, _ = _pull_all(engine, nurse, None)
            times = _nothing_new(engine, nurse, cursor)
            print(
                f"{backend:10} {size:>9,} records (filled in {fill_s:.1f} s): nurse's first pull "
                f"{records} records; pull with nothing new p50 {statistics.median(times):.2f} ms, "
                f"p95 {_p(times, 95):.2f} ms",
                flush=True,
            )
        _fill(engine, total, FIRST_PULL, "'big'")
        firsts = []
        for _ in range(3):
            began = time.perf_counter()
            cursor, records, pages = _pull_all(engine, big, None)
            firsts.append(time.perf_counter() - began)
            assert records == FIRST_PULL, records
        print(
            f"{backend:10} first pull of {FIRST_PULL:,} records among {total + FIRST_PULL:,}: "
            f"best {min(firsts):.2f} s, worst {max(firsts):.2f} s ({pages} pages of 2,000)",
            flush=True,
        )
        engine.dispose()


def main() -> None:
    run("sqlite")
    if os.environ.get("MACHI_BENCH_DATABASE_URL") or os.environ.get("MACHI_TEST_DATABASE_URL"):
        run("postgresql")
    else:
        print("postgresql: skipped (set MACHI_BENCH_DATABASE_URL)")


if __name__ == "__main__":
    main()
