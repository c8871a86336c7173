"""No double booking and no oversold shuttle under concurrency, on SQLite and PostgreSQL.

These tests need real commits from many connections, so they build their own database (a
fresh SQLite file, or a fresh PostgreSQL schema) instead of the rolled-back `session`.
"""

import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, event, func, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from server.auth.access import Principal, Role
from server.core import migrate
from server.core.db import create_db_engine
from server.core.errors import Conflict
from server.core.settings import Settings
from server.mobility import booking, shuttle
from server.mobility.demo import load_demo_fleet
from server.mobility.models import Booking, ShuttleBooking, ShuttleRun, Vehicle
from server.mobility.schemas import HoldRequest, ShuttleBookingRequest

HOLDERS = 200
VEHICLE = "ks-007"


def _rider(n: int) -> Principal:
    return Principal(
        subject=f"rider-{n}",
        role=Role.RESIDENT,
        patient_id=f"p-{n}",
        scopes=frozenset({"patient/*.cruds"}),
        client_id="machi-app",
    )


@pytest.fixture
def committed_engine(db_settings: Settings, tmp_path: Path) -> Iterator[Engine]:
    """A migrated database of our own, with the demo fleet committed."""
    if db_settings.is_sqlite:
        settings = Settings.model_validate(
            {"data_dir": tmp_path, "database_url": f"sqlite:///{tmp_path / 'c.db'}"}
        )
        engine = create_db_engine(settings)
        schema = None
    else:
        schema = f"mobility_{uuid.uuid4().hex[:12]}"
        url = db_settings.resolved_database_url
        with create_engine(url).begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        engine = create_engine(url, pool_size=20, max_overflow=10, pool_timeout=60)

        @event.listens_for(engine, "connect")
        def _search_path(dbapi_connection: object, _record: object) -> None:
            cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
            cursor.execute(f'SET search_path TO "{schema}"')
            cursor.close()
            dbapi_connection.commit()  # type: ignore[attr-defined]

    migrate.upgrade(engine)
    with Session(engine) as session:
        load_demo_fleet(session)
        session.commit()
    yield engine
    engine.dispose()
    if schema is not None:
        with create_engine(db_settings.resolved_database_url).begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


def _race(count: int, attempt: Callable[[int], str]) -> Counter[str]:
    """Run `attempt` on `count` threads released at the same moment."""
    barrier = threading.Barrier(count)

    def run(n: int) -> str:
        barrier.wait()
        return attempt(n)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return Counter(pool.map(run, range(count)))


def _in_session(engine: Engine, work: Callable[[Session], object]) -> str:
    """One request: its own session and connection; commit at the end or roll back."""
    with Session(engine) as session:
        try:
            work(session)
            session.commit()
            return "ok"
        except Conflict:
            session.rollback()
            return "conflict"


def test_200_concurrent_holds_on_one_vehicle_book_it_exactly_once(
    committed_engine: Engine,
) -> None:
    def attempt(n: int) -> str:
        return _in_session(
            committed_engine,
            lambda s: booking.hold(
                s,
                _rider(n),
                HoldRequest(vehicle_id=VEHICLE),
                idempotency_key=f"hold-{n}",
                hold_seconds=300,
            ),
        )

    outcomes = _race(HOLDERS, attempt)

    assert outcomes == Counter({"ok": 1, "conflict": HOLDERS - 1})
    with Session(committed_engine) as session:
        active = session.exec(
            select(func.count())
            .select_from(Booking)
            .where(Booking.vehicle_id == VEHICLE, col(Booking.state) == "PENDING")
        ).one()
        vehicle = session.get(Vehicle, VEHICLE)
    assert active == 1
    assert vehicle is not None
    assert vehicle.status == "reserved"


def test_concurrent_retries_with_one_key_book_once(committed_engine: Engine) -> None:
    rider = _rider(1)

    def attempt(_n: int) -> str:
        return _in_session(
            committed_engine,
            lambda s: booking.hold(
                s, rider, HoldRequest(vehicle_id=VEHICLE), idempotency_key="same", hold_seconds=300
            ),
        )

    outcomes = _race(20, attempt)

    assert outcomes["ok"] >= 1
    with Session(committed_engine) as session:
        bookings = session.exec(select(Booking).where(Booking.vehicle_id == VEHICLE)).all()
    assert len(bookings) == 1


def test_concurrent_shuttle_bookings_never_oversell_a_run(committed_engine: Engine) -> None:
    now = datetime.fromisoformat("2026-11-22T12:00:00+09:00")
    slot = datetime.fromisoformat("2026-11-23T09:15:00+09:00")

    def attempt(n: int) -> str:
        body = ShuttleBookingRequest(
            service_id="mikanohara",
            slot_start=slot,
            direction="to_stop",
            stop_id="bus_omika_w",
            lat=36.5235,
            lon=140.5970,
            passengers=1,
        )
        return _in_session(
            committed_engine,
            lambda s: shuttle.book(s, _rider(n), body, idempotency_key=f"shuttle-{n}", now=now),
        )

    outcomes = _race(40, attempt)

    assert outcomes == Counter({"ok": 6, "conflict": 34})  # six seats per run
    with Session(committed_engine) as session:
        run = session.exec(select(ShuttleRun)).one()
        seats = session.exec(select(func.sum(ShuttleBooking.passengers))).one()
    assert run.booked_to_stop == 6
    assert seats == 6


def test_the_database_refuses_a_second_active_booking_of_a_vehicle(
    session: Session, fleet: int
) -> None:
    def active(state: str) -> Booking:
        return Booking(vehicle_id=VEHICLE, user_id="u", booked_by="u", state=state)

    session.add(active("FINISHED"))
    session.add(active("CONFIRMED"))
    session.flush()  # any number of past bookings, one active one: fine
    session.add(active("PENDING"))

    with pytest.raises(IntegrityError):
        session.flush()


def test_the_database_refuses_an_oversold_shuttle_run(session: Session, fleet: int) -> None:
    run = ShuttleRun(
        service_id="mikanohara",
        slot_start=datetime.fromisoformat("2026-11-23T09:15:00+09:00") + timedelta(0),
        seats=6,
    )
    session.add(run)
    session.flush()
    run.booked_to_stop = 7
    session.add(run)

    with pytest.raises(IntegrityError):
        session.flush()
