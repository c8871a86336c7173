"""The on-demand shuttle: slots every few minutes from a point in the hill estates to a stop
(or back), seats per run, and bookings that never oversell a run.

A run is one slot's round trip: it reaches the stop at `slot_start` (riders going to the stop)
and leaves it again at `slot_start` (riders coming home). Seats are counted per direction with
one conditional UPDATE, and check constraints on the run row refuse any oversold count.
"""

import json
import math
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, Literal, cast
from zoneinfo import ZoneInfo

from fastapi import Query
from sqlalchemy import CursorResult, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, or_, select

from server.auth.access import Principal
from server.core.errors import Conflict, InvalidInput, NotFound
from server.mobility import booking as vehicle_booking
from server.mobility import fleet, geo
from server.mobility.idempotency import once
from server.mobility.models import ShuttleBooking, ShuttleRun, ShuttleService, ShuttleStop
from server.mobility.schemas import (
    ShuttleBookingOut,
    ShuttleBookingRequest,
    ShuttleServiceOut,
    ShuttleSlotOut,
    ShuttleStopOut,
)

TOKYO = ZoneInfo("Asia/Tokyo")
# Riders need time to get ready: a slot whose pickup is sooner than this is not offered.
MIN_LEAD = timedelta(minutes=10)
# Roads wind through the estates; straight-line distance times this is the driven distance.
DETOUR = 1.4
BOARDING_MINUTES = 1

DirectionParam = Annotated[Literal["to_stop", "from_stop"], Query()]
DayParam = Annotated[date | None, Query(description="local date (Asia/Tokyo); default today")]


def _service(session: Session, service_id: str) -> ShuttleService:
    service = session.get(ShuttleService, service_id)
    if service is None:
        raise NotFound(f"no shuttle service {service_id}")
    return service


def _stops(session: Session, service_id: str) -> list[ShuttleStop]:
    return list(
        session.exec(
            select(ShuttleStop)
            .where(ShuttleStop.service_id == service_id)
            .order_by(col(ShuttleStop.name))
        ).all()
    )


def _area(service: ShuttleService) -> list[Any]:
    area: list[Any] = json.loads(service.area)
    return area


def services(session: Session) -> list[ShuttleServiceOut]:
    return [
        ShuttleServiceOut(
            id=s.id,
            name=s.name,
            name_en=s.name_en,
            seats=s.seats,
            slot_minutes=s.slot_minutes,
            first_slot=s.first_slot,
            last_slot=s.last_slot,
            area=_area(s),
            stops=[
                ShuttleStopOut(
                    stop_id=st.stop_id, name=st.name, name_en=st.name_en, lat=st.lat, lon=st.lon
                )
                for st in _stops(session, s.id)
            ],
        )
        for s in session.exec(select(ShuttleService).order_by(col(ShuttleService.id))).all()
    ]


def _check_trip(
    session: Session, service: ShuttleService, stop_id: str, lat: float, lon: float
) -> ShuttleStop:
    stop = session.get(ShuttleStop, (service.id, stop_id))
    if stop is None:
        names = ", ".join(f"{s.stop_id} ({s.name})" for s in _stops(session, service.id))
        raise InvalidInput(
            f"the {service.name} shuttle does not serve stop {stop_id}; it serves {names}"
        )
    if not geo.in_multipolygon(lon, lat, _area(service)):
        raise InvalidInput(
            f"this place is outside the {service.name} ({service.name_en}) service area; "
            "the shuttle picks up and drops off only inside it"
        )
    return stop


def travel_minutes(service: ShuttleService, stop: ShuttleStop, lat: float, lon: float) -> int:
    metres = geo.haversine_m(lat, lon, stop.lat, stop.lon) * DETOUR
    return math.ceil(metres / (service.speed_kph * 1000 / 60)) + BOARDING_MINUTES


def _times(slot_start: datetime, direction: str, minutes: int) -> tuple[datetime, datetime]:
    """(pickup_at, dropoff_at) of a rider on the run of `slot_start`."""
    if direction == "to_stop":
        return slot_start - timedelta(minutes=minutes), slot_start
    return slot_start, slot_start + timedelta(minutes=minutes)


def _slot_starts(service: ShuttleService, day: date) -> list[datetime]:
    first = time.fromisoformat(service.first_slot)
    last = time.fromisoformat(service.last_slot)
    moment = datetime.combine(day, first, TOKYO)
    end = datetime.combine(day, last, TOKYO)
    result = []
    while moment <= end:
        result.append(moment.astimezone(UTC))
        moment += timedelta(minutes=service.slot_minutes)
    return result


def slots(
    session: Session,
    service_id: str,
    *,
    stop_id: str,
    lat: float,
    lon: float,
    direction: str,
    day: date | None,
    now: datetime | None = None,
) -> list[ShuttleSlotOut]:
    """The day's runs still bookable, with this rider's pickup time and the seats left."""
    now = now or fleet.utcnow()
    service = _service(session, service_id)
    stop = _check_trip(session, service, stop_id, lat, lon)
    day = day or now.astimezone(TOKYO).date()
    minutes = travel_minutes(service, stop, lat, lon)
    starts = _slot_starts(service, day)
    booked: dict[datetime, ShuttleRun] = {}
    if starts:
        for run in session.exec(
            select(ShuttleRun).where(
                ShuttleRun.service_id == service.id,
                col(ShuttleRun.slot_start) >= starts[0],
                col(ShuttleRun.slot_start) <= starts[-1],
            )
        ).all():
            booked[fleet.as_utc(run.slot_start)] = run
    result = []
    for start in starts:
        pickup, dropoff = _times(start, direction, minutes)
        if pickup < now + MIN_LEAD:
            continue
        existing = booked.get(start)
        taken = 0
        if existing is not None:
            taken = existing.booked_to_stop if direction == "to_stop" else existing.booked_from_stop
        result.append(
            ShuttleSlotOut(
                slot_start=start,
                pickup_at=pickup,
                dropoff_at=dropoff,
                seats_left=max(0, service.seats - taken),
            )
        )
    return result


def book(
    session: Session,
    principal: Principal,
    body: ShuttleBookingRequest,
    *,
    idempotency_key: str | None,
    now: datetime | None = None,
) -> ShuttleBookingOut:
    return once(
        session,
        subject=principal.subject,
        key=idempotency_key,
        request="POST /mobility/shuttle/bookings",
        body=body,
        model=ShuttleBookingOut,
        run=lambda: _book(session, principal, body, now or fleet.utcnow()),
    )


def _book(
    session: Session, principal: Principal, body: ShuttleBookingRequest, now: datetime
) -> ShuttleBookingOut:
    service = _service(session, body.service_id)
    stop = _check_trip(session, service, body.stop_id, body.lat, body.lon)
    if body.slot_start.tzinfo is None:
        raise InvalidInput("slot_start needs a time zone, e.g. 2026-11-23T09:15:00+09:00")
    slot_start = body.slot_start.astimezone(UTC)
    if slot_start not in _slot_starts(service, slot_start.astimezone(TOKYO).date()):
        raise InvalidInput(
            f"{_hm(slot_start)} is not a run of this shuttle: runs leave every "
            f"{service.slot_minutes} minutes from {service.first_slot} to {service.last_slot}"
        )
    minutes = travel_minutes(service, stop, body.lat, body.lon)
    pickup, dropoff = _times(slot_start, body.direction, minutes)
    if pickup < now + MIN_LEAD:
        raise Conflict(f"the {_hm(slot_start)} run is too soon to book; choose a later one")
    rider_id = vehicle_booking._rider(session, principal, body.rider_patient_id)

    run_id = _ensure_run(session, service, slot_start)
    column = (
        ShuttleRun.booked_to_stop if body.direction == "to_stop" else ShuttleRun.booked_from_stop
    )
    result = session.execute(
        update(ShuttleRun)
        .where(
            col(ShuttleRun.id) == run_id,
            col(column) + body.passengers <= col(ShuttleRun.seats),
        )
        .values({column: col(column) + body.passengers})
    )
    if cast(CursorResult[Any], result).rowcount != 1:
        raise Conflict(_full_message(session, service, slot_start, body.direction, body.passengers))
    record = ShuttleBooking(
        run_id=run_id,
        service_id=service.id,
        user_id=rider_id,
        booked_by=principal.subject,
        direction=body.direction,
        stop_id=stop.stop_id,
        lat=body.lat,
        lon=body.lon,
        passengers=body.passengers,
        pickup_at=pickup,
        dropoff_at=dropoff,
        created_at=now,
    )
    session.add(record)
    try:
        session.flush()
    except IntegrityError:
        # The check constraint refused an oversold run that slipped past the update.
        raise Conflict(f"the {_hm(slot_start)} run is full") from None
    return _out(record, service, stop, slot_start)


def _ensure_run(session: Session, service: ShuttleService, slot_start: datetime) -> int:
    """The run's id, creating its row on first booking (concurrent creators: one row)."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(
        insert(ShuttleRun.__table__)  # type: ignore[attr-defined]
        .values(
            service_id=service.id,
            slot_start=slot_start,
            seats=service.seats,
            booked_to_stop=0,
            booked_from_stop=0,
        )
        .on_conflict_do_nothing(index_elements=["service_id", "slot_start"])
    )
    run_id = session.exec(
        select(ShuttleRun.id).where(
            ShuttleRun.service_id == service.id, ShuttleRun.slot_start == slot_start
        )
    ).one()
    assert run_id is not None
    return run_id


def _full_message(
    session: Session, service: ShuttleService, slot_start: datetime, direction: str, wanted: int
) -> str:
    day = slot_start.astimezone(TOKYO).date()
    runs = {
        fleet.as_utc(r.slot_start): r
        for r in session.exec(select(ShuttleRun).where(ShuttleRun.service_id == service.id)).all()
    }
    for start in _slot_starts(service, day):
        if start <= slot_start:
            continue
        run = runs.get(start)
        taken = (
            0
            if run is None
            else (run.booked_to_stop if direction == "to_stop" else run.booked_from_stop)
        )
        if service.seats - taken >= wanted:
            return (
                f"the {_hm(slot_start)} run is full; the next run with "
                f"{wanted} free seat(s) is at {_hm(start)}"
            )
    return f"the {_hm(slot_start)} run is full, and so are the later runs today"


def _hm(moment: datetime) -> str:
    return moment.astimezone(TOKYO).strftime("%H:%M")


def _out(
    record: ShuttleBooking, service: ShuttleService, stop: ShuttleStop, slot_start: datetime
) -> ShuttleBookingOut:
    pickup = fleet.as_utc(record.pickup_at).astimezone(TOKYO)
    dropoff = fleet.as_utc(record.dropoff_at).astimezone(TOKYO)
    day_ja = f"{pickup.month}月{pickup.day}日"
    day_en = pickup.strftime("%A %d %B")
    if record.direction == "to_stop":
        ja = (
            f"{day_ja} {pickup:%H:%M}に、ご指定の場所へシャトルがお迎えに行きます。"
            f"{stop.name}に{dropoff:%H:%M}に着きます。{record.passengers}名様です。"
        )
        en = (
            f"On {day_en} the shuttle picks you up at your place at {pickup:%H:%M} and "
            f"arrives at {stop.name_en or stop.name} at {dropoff:%H:%M}. "
            f"{record.passengers} passenger(s)."
        )
    else:
        ja = (
            f"{day_ja} {pickup:%H:%M}に{stop.name}からシャトルに乗ります。"
            f"ご指定の場所に{dropoff:%H:%M}ごろ着きます。{record.passengers}名様です。"
        )
        en = (
            f"On {day_en} board the shuttle at {stop.name_en or stop.name} at "
            f"{pickup:%H:%M}; it drops you at your place at about {dropoff:%H:%M}. "
            f"{record.passengers} passenger(s)."
        )
    if record.state == "CANCELLED":
        ja, en = "取り消し済み: " + ja, "Cancelled: " + en
    return ShuttleBookingOut(
        id=record.id,
        state=record.state,
        service_id=service.id,
        service_name=service.name,
        slot_start=slot_start,
        direction=record.direction,
        stop_id=stop.stop_id,
        stop_name=stop.name,
        lat=record.lat,
        lon=record.lon,
        passengers=record.passengers,
        pickup_at=fleet.as_utc(record.pickup_at),
        dropoff_at=fleet.as_utc(record.dropoff_at),
        user_id=record.user_id,
        booked_by=record.booked_by,
        summary_ja=ja,
        summary_en=en,
    )


def _out_of(session: Session, record: ShuttleBooking) -> ShuttleBookingOut:
    service = _service(session, record.service_id)
    stop = session.get(ShuttleStop, (record.service_id, record.stop_id))
    run = session.get(ShuttleRun, record.run_id)
    assert stop is not None
    assert run is not None
    return _out(record, service, stop, fleet.as_utc(run.slot_start))


def my_bookings(session: Session, principal: Principal) -> list[ShuttleBookingOut]:
    """The caller's shuttle bookings (as rider or proxy), soonest pickup first."""
    records = session.exec(
        select(ShuttleBooking)
        .where(
            or_(
                col(ShuttleBooking.user_id) == principal.subject,
                col(ShuttleBooking.booked_by) == principal.subject,
            )
        )
        .order_by(col(ShuttleBooking.pickup_at))
        .limit(100)
    ).all()
    return [_out_of(session, r) for r in records]


def cancel(
    session: Session,
    principal: Principal,
    booking_id: str,
    *,
    idempotency_key: str | None,
    now: datetime | None = None,
) -> ShuttleBookingOut:
    moment = now or fleet.utcnow()
    return once(
        session,
        subject=principal.subject,
        key=idempotency_key,
        request=f"POST /mobility/shuttle/bookings/{booking_id}/cancel",
        body=None,
        model=ShuttleBookingOut,
        run=lambda: _cancel(session, principal, booking_id, moment),
    )


def _cancel(
    session: Session, principal: Principal, booking_id: str, now: datetime
) -> ShuttleBookingOut:
    record = session.get(ShuttleBooking, booking_id)
    if record is None or principal.subject not in (record.user_id, record.booked_by):
        raise NotFound(f"no shuttle booking {booking_id}")
    if fleet.as_utc(record.pickup_at) <= now:
        raise Conflict("the pickup time has passed; this booking can no longer be cancelled")
    changed = session.execute(
        update(ShuttleBooking)
        .where(col(ShuttleBooking.id) == booking_id, col(ShuttleBooking.state) == "CONFIRMED")
        .values(state="CANCELLED", cancelled_at=now)
    )
    if cast(CursorResult[Any], changed).rowcount != 1:
        raise Conflict(f"shuttle booking {booking_id} is already cancelled")
    column = (
        ShuttleRun.booked_to_stop if record.direction == "to_stop" else ShuttleRun.booked_from_stop
    )
    session.execute(
        update(ShuttleRun)
        .where(col(ShuttleRun.id) == record.run_id)
        .values({column: col(column) - record.passengers})
    )
    session.refresh(record)
    return _out_of(session, record)
