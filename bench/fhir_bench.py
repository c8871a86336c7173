"""FHIR store benchmark: Observation creates/s, a 100-entry transaction, and search
patient+code+date over N (default 1,000,000) Observations loaded by a bulk path, over HTTP.

    python -m bench.fhir_bench [--observations N] [--postgres URL] [--scratch DIR]

The server runs in its own process (uvicorn, one worker) as a resident reading and writing
their own record, so every request goes through authorization and the audit trail.
"""

import argparse
import multiprocessing
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, text

LOINC = "http://loinc.org"
CODES = [("8867-4", "/min"), ("29463-7", "kg"), ("8310-5", "Cel"), ("59408-5", "%")]
PATIENTS = 2000
BENCH_PATIENT = "bench-writer"  # writes go to a record of their own, not the loaded ones


def bench_principal(request: Any = None) -> Any:
    """The resident named by X-Bench-Patient (the writer by default), on their own record."""
    from server.auth.access import Principal, Role

    patient = request.headers.get("x-bench-patient", BENCH_PATIENT) if request else BENCH_PATIENT
    return Principal(
        subject=f"bench-{patient}",
        role=Role.RESIDENT,
        patient_id=patient,
        scopes=frozenset({"patient/*.cruds"}),
        client_id="bench",
    )


def serve(database_url: str, data_dir: str, port: int) -> None:
    import logging

    import uvicorn

    from server.auth.access import current_principal
    from server.core.settings import Settings
    from server.main import create_app

    settings = Settings.model_validate(
        {"database_url": database_url, "data_dir": data_dir, "web_client": False, "port": port}
    )
    app = create_app(settings)
    logging.getLogger("machi.access").setLevel(logging.WARNING)
    logging.getLogger().setLevel(logging.WARNING)
    from fastapi import Request

    def principal(request: Request) -> Any:
        return bench_principal(request)

    app.dependency_overrides[current_principal] = principal
    uvicorn.run(app, host="127.0.0.1", port=port, log_config=None, access_log=False)


def observation(patient: str, code: str, unit: str, when: datetime, value: float) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "status": "final",
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": "vital-signs",
                    }
                ]
            }
        ],
        "code": {"coding": [{"system": LOINC, "code": code}]},
        "subject": {"reference": f"Patient/{patient}"},
        "effectiveDateTime": when.isoformat(timespec="seconds"),
        "valueQuantity": {
            "value": value,
            "unit": unit,
            "system": "http://unitsofmeasure.org",
            "code": unit,
        },
    }


def _bulk_rows(
    first_pk: int, offset: int, stop: int, instant: str
) -> dict[str, list[tuple[Any, ...]]]:
    """Rows for Observations offset..stop: patient i % PATIENTS gets every PATIENTS-th one, so
    each patient ends up with count / PATIENTS Observations spread over the codes and 2 years."""
    from server.health import fhir_json
    from server.health.search_params import SPECS, patient_of
    from server.health.store import _with_meta, index_rows

    spec = SPECS["Observation"]
    rng = random.Random(offset)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    rows: dict[str, list[tuple[Any, ...]]] = {
        k: [] for k in ("resource", "history", "token", "date", "ref", "string")
    }
    for i in range(offset, stop):
        pk = first_pk + i
        patient = f"bench-p{i % PATIENTS}"
        code, unit = CODES[(i // PATIENTS) % len(CODES)]
        when = start + timedelta(minutes=rng.randrange(0, 730 * 24 * 60))
        res_id = str(uuid.UUID(int=rng.getrandbits(128)))
        document = _with_meta(
            observation(patient, code, unit, when, round(rng.uniform(40, 120), 1)),
            res_id,
            1,
            instant,
        )
        content = fhir_json.dumps(document)
        patient_id = patient_of(spec, document)
        rows["resource"].append((pk, "Observation", res_id, 1, instant, False, patient_id, content))
        rows["history"].append(("Observation", res_id, 1, instant, "POST", False, content))
        index = index_rows(spec, document, pk, patient_id)
        rows["token"] += [
            (pk, "Observation", t["param"], t["system"], t["code"], patient_id)
            for t in index.tokens
        ]
        rows["date"] += [
            (pk, "Observation", d["param"], d["lo"], d["hi"], patient_id) for d in index.dates
        ]
        rows["ref"] += [
            (pk, "Observation", r["param"], r["target_type"], r["target_id"]) for r in index.refs
        ]
        rows["string"] += [(pk, "Observation", x["param"], x["value"]) for x in index.strings]
    return rows


_COLUMNS = {
    "resource": (
        "fhir_resource",
        "pk, res_type, res_id, version, last_updated, deleted, patient_id, content",
    ),
    "history": (
        "fhir_resource_history",
        "res_type, res_id, version, last_updated, method, deleted, content",
    ),
    "token": ("fhir_token_index", "resource_pk, res_type, param, system, code, patient_id"),
    "date": ("fhir_date_index", "resource_pk, res_type, param, lo, hi, patient_id"),
    "ref": ("fhir_reference_index", "resource_pk, res_type, param, target_type, target_id"),
    "string": ("fhir_string_index", "resource_pk, res_type, param, value"),
}


def bulk_load(engine: Engine, count: int) -> float:
    """Write `count` Observations straight into the tables (resource, history, index): COPY on
    PostgreSQL, one transaction of executemany with journalling relaxed on SQLite."""
    began = time.perf_counter()
    with engine.begin() as connection:
        first = (connection.execute(text("SELECT max(pk) FROM fhir_resource")).scalar() or 0) + 1
    instant = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
    batch = 20000
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        postgres = engine.dialect.name == "postgresql"
        if not postgres:
            # A scratch load: if it crashes, it is simply run again.
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.execute("PRAGMA cache_size=-400000")
        for offset in range(0, count, batch):
            rows = _bulk_rows(first, offset, min(count, offset + batch), instant)
            for key, (table, columns) in _COLUMNS.items():
                if not rows[key]:
                    continue
                if postgres:
                    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                        for row in rows[key]:
                            copy.write_row(row)
                else:
                    marks = ", ".join("?" * len(columns.split(",")))
                    cursor.executemany(
                        f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows[key]
                    )
            if postgres:
                raw.commit()
            done = min(count, offset + batch)
            if done % 100000 == 0 or done == count:
                print(
                    f"   loaded {done:,} Observations ({time.perf_counter() - began:.0f} s)",
                    flush=True,
                )
        raw.commit()
        if postgres:
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('fhir_resource', 'pk'), %s)",
                (first + count,),
            )
        cursor.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()
    return time.perf_counter() - began


def warm_up(database_url: str) -> float:
    """Read every table once, as a server that has been up a while has its data in memory:
    the search is measured warm (a cold first pass over 1M rows is disk-bound, not ours)."""
    from server.core.db import create_db_engine
    from server.core.settings import Settings

    began = time.perf_counter()
    engine = create_db_engine(
        Settings.model_validate({"database_url": database_url, "data_dir": tempfile.mkdtemp()})
    )
    with engine.connect() as connection:
        connection.execute(text("SELECT count(*), sum(length(content)) FROM fhir_resource"))
        for table in ("fhir_token_index", "fhir_date_index", "fhir_reference_index"):
            connection.execute(text(f"SELECT count(*), max(resource_pk) FROM {table}"))
    engine.dispose()
    if database_url.startswith("sqlite:///"):
        with open(database_url.removeprefix("sqlite:///"), "rb") as data:  # indexes too
            while data.read(1 << 24):
                pass
    return time.perf_counter() - began


def store_throughput(database_url: str, creates: int = 500) -> float:
    """Creates/s of the store itself (parse, validate, authorize, write, audit, commit) in this
    process, without HTTP: what the server adds on top is the rest of the create time."""
    from sqlmodel import Session

    from server.core.db import create_db_engine
    from server.core.settings import Settings
    from server.health import fhir_json, store
    from server.health.fhir_access import FhirAccess

    engine = create_db_engine(
        Settings.model_validate({"database_url": database_url, "data_dir": tempfile.mkdtemp()})
    )
    principal = bench_principal()
    now = datetime(2026, 10, 1, 7, tzinfo=UTC)
    began = 0.0
    for i in range(creates + 50):
        if i == 50:  # after a warm-up
            began = time.perf_counter()
        raw = fhir_json.dumps(
            observation(BENCH_PATIENT, "8867-4", "/min", now + timedelta(minutes=i), 70)
        )
        with Session(engine) as session:
            body = fhir_json.loads_object(raw)
            store.create(session, FhirAccess(session, principal), "Observation", body)
            session.commit()
    elapsed = time.perf_counter() - began
    engine.dispose()
    return creates / elapsed


def wait_ready(base: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{base}/health", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run(database_url: str, label: str, count: int, scratch: Path) -> dict[str, float]:
    from server.core import migrate
    from server.core.db import create_db_engine
    from server.core.settings import Settings

    data_dir = tempfile.mkdtemp(prefix="fhir-bench-")
    settings = Settings.model_validate({"database_url": database_url, "data_dir": data_dir})
    engine = create_db_engine(settings)
    loaded = scratch / f"{label.lower()}-loaded.txt"
    if loaded.exists() and loaded.read_text() == f"{database_url} {count}":
        print(f"== {label}: reusing {count:,} loaded Observations ({loaded})", flush=True)
        migrate.upgrade(engine)
        load_s = 0.0
    else:
        if engine.dialect.name == "postgresql":
            with engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE"))
                connection.execute(text("CREATE SCHEMA public"))
        migrate.upgrade(engine)
        print(f"== {label}: bulk-loading {count:,} Observations", flush=True)
        load_s = bulk_load(engine, count)
        loaded.write_text(f"{database_url} {count}")
    engine.dispose()

    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    context = multiprocessing.get_context("spawn")
    server = context.Process(target=serve, args=(database_url, data_dir, port), daemon=True)
    server.start()
    base = f"http://127.0.0.1:{port}"
    results: dict[str, float] = {"load_s": load_s, "store_per_s": store_throughput(database_url)}
    try:
        wait_ready(base)
        with httpx.Client(base_url=f"{base}/fhir", timeout=60) as client:
            headers = {"Content-Type": "application/fhir+json"}
            now = datetime(2026, 11, 1, 7, tzinfo=UTC)
            for _ in range(50):  # warm-up
                client.post(
                    "/Observation", json=observation(BENCH_PATIENT, "8867-4", "/min", now, 70)
                )
            creates = 1000
            latencies = []
            began = time.perf_counter()
            for i in range(creates):
                t0 = time.perf_counter()
                response = client.post(
                    "/Observation",
                    json=observation(
                        BENCH_PATIENT, "8867-4", "/min", now + timedelta(minutes=i), 70
                    ),
                    headers=headers,
                )
                latencies.append(time.perf_counter() - t0)
                assert response.status_code == 201, response.text
            elapsed = time.perf_counter() - began
            results["create_per_s"] = creates / elapsed
            results["create_p50_ms"] = statistics.median(latencies) * 1000

            began = time.perf_counter()
            for _ in range(500):  # the floor: one trivial sync endpoint with one SELECT 1
                client.get(f"{base}/health")
            results["floor_per_s"] = 500 / (time.perf_counter() - began)

            tx_times = []
            for _ in range(5):
                bundle = {
                    "resourceType": "Bundle",
                    "type": "transaction",
                    "entry": [
                        {
                            "fullUrl": f"urn:uuid:{uuid.uuid4()}",
                            "resource": observation(
                                BENCH_PATIENT, "29463-7", "kg", now + timedelta(hours=j), 52
                            ),
                            "request": {"method": "POST", "url": "Observation"},
                        }
                        for j in range(100)
                    ],
                }
                t0 = time.perf_counter()
                response = client.post("", json=bundle)
                tx_times.append(time.perf_counter() - t0)
                assert response.status_code == 200, response.text[:500]
            results["transaction100_ms"] = statistics.median(tx_times) * 1000

            warm_s = warm_up(database_url)
            results["warm_up_s"] = warm_s
            rng = random.Random(11)
            search_times = []
            returned = []
            for _ in range(300):
                code, _unit = rng.choice(CODES)
                who = f"bench-p{rng.randrange(min(PATIENTS, count))}"
                # 450 days of one code: ~77 of a patient's 125, so a full page of 50 comes back.
                low = datetime(2025, 1, 1) + timedelta(days=rng.randrange(0, 250))
                params = {
                    "patient": who,
                    "code": f"{LOINC}|{code}",
                    "date": [f"ge{low:%Y-%m-%d}", f"lt{low + timedelta(days=450):%Y-%m-%d}"],
                    "_count": "50",
                    "_sort": "-date",
                }
                t0 = time.perf_counter()
                response = client.get(
                    "/Observation", params=params, headers={"X-Bench-Patient": who}
                )
                assert response.status_code == 200, response.text[:500]
                search_times.append(time.perf_counter() - t0)
                returned.append(len(response.json().get("entry", [])))
            results["search_p50_ms"] = statistics.median(search_times) * 1000
            results["search_p95_ms"] = percentile(search_times, 0.95) * 1000
            results["search_per_s"] = len(search_times) / sum(search_times)
            results["search_returned_min"] = min(returned)
    finally:
        server.terminate()
        server.join(10)
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--observations", type=int, default=1_000_000)
    parser.add_argument(
        "--postgres",
        default="postgresql://postgres@127.0.0.1:5432/machi_fhir_bench",
        help="PostgreSQL URL (its public schema is dropped!); '' to skip",
    )
    parser.add_argument(
        "--scratch",
        default="",
        help="folder (outside the repo) to keep the loaded databases in; a second run with the "
        "same --observations reuses them instead of loading again",
    )
    args = parser.parse_args(
        argv if argv is not None else sys.argv[1:] if __name__ == "__main__" else []
    )
    scratch = Path(args.scratch or tempfile.mkdtemp(prefix="fhir-bench-"))
    scratch.mkdir(parents=True, exist_ok=True)
    targets = [("SQLite", f"sqlite:///{scratch / 'bench.db'}")]
    if args.postgres:
        targets.append(("PostgreSQL", args.postgres))
    for label, url in targets:
        try:
            results = run(url, label, args.observations, scratch)
        except Exception as exc:  # a missing PostgreSQL should not hide the SQLite numbers
            print(f"   {label}: skipped ({type(exc).__name__}: {exc})")
            continue
        r = results
        print(
            f"   {label}: create {r['create_per_s']:.0f}/s (p50 {r['create_p50_ms']:.1f} ms; "
            f"store alone {r['store_per_s']:.0f}/s, GET /health {r['floor_per_s']:.0f}/s), "
            f"transaction(100) {r['transaction100_ms']:.0f} ms, search over "
            f"{args.observations:,}: p50 {r['search_p50_ms']:.1f} ms, "
            f"p95 {r['search_p95_ms']:.1f} ms ({r['search_per_s']:.0f}/s, "
            f">= {r['search_returned_min']:.0f} returned), bulk load {r['load_s']:.0f} s",
            flush=True,
        )


if __name__ == "__main__":
    main()
