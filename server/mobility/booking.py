"""Vehicle bookings in TOMP-like states: hold (PENDING) → CONFIRMED → STARTED → FINISHED, or
CANCELLED / EXPIRED, with no double booking enforced by the database.

Two guards, both in the database:
1. Taking a vehicle is one conditional UPDATE of its row (`status` available, or a hold that
   has run out). PostgreSQL makes concurrent updaters of the row wait and re-check the
   condition after the winner commits; SQLite serialises writers. Exactly one wins.
2. A partial unique index allows one active booking per vehicle, whatever the code does.
"""

import math
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, and_, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from server.auth.access import DataCategory, Principal, authorize
from server.auth.models import User
from server.core.errors import Conflict, InvalidInput, NotFound
from server.mobility import fleet, geo
from server.mobility.idempotency import once
from server.mobility.models import (
    ACTIVE_STATES,
    Booking,
    PricingPlan,
    Vehicle,
    VehicleType,
    new_id,
)
from server.mobility.schemas import BookingOut, EndRequest, HoldRequest, PriceOut

_HOLDING = ("PENDING", "CONFIRMED")


def _rowcount(result: Any) -> int:
    return cast(CursorResult[Any], result).rowcount


def booking_out(booking: Booking, vehicle_code: str, now: datetime) -> BookingOut:
    return BookingOut(
        id=booking.id,
        state=effective_state(booking, now),
        vehicle_id=booking.vehicle_id,
        vehicle_code=vehicle_code,
        user_id=booking.user_id,
        booked_by=booking.booked_by,
        price=PriceOut(
            plan_id=booking.pricing_plan_id,
            unlock_price=booking.unlock_price,
            per_minute=booking.per_minute,
        ),
        final_price=booking.price,
        expires_at=_utc_or_none(booking.expires_at),
        created_at=fleet.as_utc(booking.created_at),
        confirmed_at=_utc_or_none(booking.confirmed_at),
        started_at=_utc_or_none(booking.started_at),
        ended_at=_utc_or_none(booking.ended_at),
        cancelled_at=_utc_or_none(booking.cancelled_at),
        start_lat=booking.start_lat,
        start_lon=booking.start_lon,
        end_lat=booking.end_lat,
        end_lon=booking.end_lon,
        distance_m=booking.distance_m,
    )


def _utc_or_none(moment: datetime | None) -> datetime | None:
    return None if moment is None else fleet.as_utc(moment)


def effective_state(booking: Booking, now: datetime) -> str:
    """A hold or reservation past its expiry is EXPIRED even before anything wrote it down."""
    if (
        booking.state in _HOLDING
        and booking.expires_at is not None
        and fleet.as_utc(booking.expires_at) <= now
    ):
        return "EXPIRED"
    return booking.state


def _rider(session: Session, principal: Principal, rider_patient_id: str | None) -> str:
    """The user who rides: the caller, or (as a proxy, when their consent allows) someone else."""
    if rider_patient_id is None or rider_patient_id == principal.patient_id:
        return principal.subject
    authorize(
        session,
        principal,
        action="create",
        patient_id=rider_patient_id,
        category=DataCategory.APPOINTMENTS,
        resource="Appointment",
        proxy=True,
    )
    rider = session.exec(select(User).where(User.patient_id == rider_patient_id)).first()
    if rider is None:
        raise NotFound(f"no user is patient {rider_patient_id}")
    return rider.id


def _expire_stale(session: Session, vehicle_id: str, now: datetime) -> None:
    """Write down EXPIRED for this vehicle's holds that ran out (the index needs it)."""
    session.execute(
        update(Booking)
        .where(
            col(Booking.vehicle_id) == vehicle_id,
            col(Booking.state).in_(_HOLDING),
            col(Booking.expires_at) <= now,
        )
        .values(state="EXPIRED", updated_at=now)
    )


def hold(
    session: Session,
    principal: Principal,
    body: HoldRequest,
    *,
    idempotency_key: str | None,
    hold_seconds: int,
    now: datetime | None = None,
) -> BookingOut:
    """Reserve a vehicle for `hold_seconds` (PENDING) at the price of its plan now."""
    return once(
        session,
        subject=principal.subject,
        key=idempotency_key,
        request="POST /mobility/bookings",
        body=body,
        model=BookingOut,
        run=lambda: _hold(session, principal, body, hold_seconds, now or fleet.utcnow()),
    )


def _hold(
    session: Session, principal: Principal, body: HoldRequest, hold_seconds: int, now: datetime
) -> BookingOut:
    rider_id = _rider(session, principal, body.rider_patient_id)
    expires = now + timedelta(seconds=hold_seconds)
    taken = session.execute(
        update(Vehicle)
        .where(
            col(Vehicle.id) == body.vehicle_id,
            col(Vehicle.bookable),
            or_(
                col(Vehicle.status) == "available",
                and_(col(Vehicle.status) == "reserved", col(Vehicle.hold_until) <= now),
            ),
        )
        .values(status="reserved", hold_until=expires, updated_at=now)
    )
    if _rowcount(taken) != 1:
        _explain_unavailable(session, body.vehicle_id)
    vehicle = session.get(Vehicle, body.vehicle_id, populate_existing=True)
    assert vehicle is not None
    vtype = session.get(VehicleType, vehicle.vehicle_type_id)
    plan = session.get(PricingPlan, vtype.default_pricing_plan_id or "") if vtype else None
    if vtype is None or not vtype.rentable or plan is None:
        raise Conflict(f"vehicle {vehicle.code} is not rented out by the minute")
    _expire_stale(session, vehicle.id, now)
    booking = Booking(
        vehicle_id=vehicle.id,
        user_id=rider_id,
        booked_by=principal.subject,
        state="PENDING",
        pricing_plan_id=plan.id,
        unlock_price=plan.unlock_price,
        per_minute=plan.per_minute,
        start_lat=vehicle.lat,
        start_lon=vehicle.lon,
        created_at=now,
        expires_at=expires,
        updated_at=now,
    )
    session.add(booking)
    try:
        session.flush()
    except IntegrityError:
        # The unique index caught what the conditional update should already have.
        raise Conflict(f"vehicle {vehicle.code} is already booked") from None
    return booking_out(booking, vehicle.code, now)


def _explain_unavailable(session: Session, vehicle_id: str) -> None:
    vehicle = session.get(Vehicle, vehicle_id, populate_existing=True)
    if vehicle is None:
        raise NotFound(f"no vehicle {vehicle_id}")
    if not vehicle.bookable:
        raise Conflict(
            f"vehicle {vehicle.code} belongs to another operator: book it in their app"
            + (f" ({vehicle.rental_uri})" if vehicle.rental_uri else "")
        )
    words = {"reserved": "already reserved", "in_use": "in use"}.get(
        vehicle.status, "out of service"
    )
    raise Conflict(f"vehicle {vehicle.code} is {words}; choose another one")


def _load_own(session: Session, principal: Principal, booking_id: str) -> tuple[Booking, Vehicle]:
    booking = session.get(Booking, booking_id, populate_existing=True)
    if booking is None or not _may_see(principal, booking):
        raise NotFound(f"no booking {booking_id}")
    vehicle = session.get(Vehicle, booking.vehicle_id)
    assert vehicle is not None
    return booking, vehicle


def _may_see(principal: Principal, booking: Booking) -> bool:
    return principal.subject in (booking.user_id, booking.booked_by) or (
        principal.role in fleet.OPERATOR_ROLES
    )


def _transition(
    session: Session,
    booking: Booking,
    *,
    from_states: tuple[str, ...],
    now: datetime,
    unexpired: bool,
    values: dict[str, Any],
) -> None:
    """Move the booking on with one conditional UPDATE, so two racing events cannot both win."""
    conditions = [col(Booking.id) == booking.id, col(Booking.state).in_(from_states)]
    if unexpired:
        conditions.append(col(Booking.expires_at) > now)
    result = session.execute(update(Booking).where(*conditions).values(updated_at=now, **values))
    if _rowcount(result) != 1:
        session.refresh(booking)
        state = effective_state(booking, now)
        if state == "EXPIRED":
            raise Conflict(
                f"booking {booking.id} has expired; the vehicle was released. Book again."
            )
        raise Conflict(f"booking {booking.id} is {state}; that cannot be done now")
    session.refresh(booking)


def _event(
    session: Session,
    principal: Principal,
    booking_id: str,
    operation: str,
    body: EndRequest | None,
    idempotency_key: str | None,
    work: Any,
) -> BookingOut:
    result: BookingOut = once(
        session,
        subject=principal.subject,
        key=idempotency_key,
        request=f"POST /mobility/bookings/{booking_id}/{operation}",
        body=body,
        model=BookingOut,
        run=work,
    )
    return result


def confirm(
    session: Session,
    principal: Principal,
    booking_id: str,
    *,
    idempotency_key: str | None,
    reservation_minutes: int,
    now: datetime | None = None,
) -> BookingOut:
    """COMMIT the hold: the vehicle stays reserved for `reservation_minutes` until unlock."""
    moment = now or fleet.utcnow()

    def work() -> BookingOut:
        booking, vehicle = _load_own(session, principal, booking_id)
        until = moment + timedelta(minutes=reservation_minutes)
        _transition(
            session,
            booking,
            from_states=("PENDING",),
            now=moment,
            unexpired=True,
            values={"state": "CONFIRMED", "confirmed_at": moment, "expires_at": until},
        )
        vehicle.hold_until = until
        vehicle.updated_at = moment
        session.add(vehicle)
        session.flush()
        return booking_out(booking, vehicle.code, moment)

    return _event(session, principal, booking_id, "confirm", None, idempotency_key, work)


def start(
    session: Session,
    principal: Principal,
    booking_id: str,
    *,
    idempotency_key: str | None,
    now: datetime | None = None,
) -> BookingOut:
    """Unlock: the ride begins and the clock starts."""
    moment = now or fleet.utcnow()

    def work() -> BookingOut:
        booking, vehicle = _load_own(session, principal, booking_id)
        _transition(
            session,
            booking,
            from_states=("CONFIRMED",),
            now=moment,
            unexpired=True,
            values={
                "state": "STARTED",
                "started_at": moment,
                "expires_at": None,
                "start_lat": vehicle.lat,
                "start_lon": vehicle.lon,
            },
        )
        vehicle.status = "in_use"
        vehicle.hold_until = None
        vehicle.station_id = None
        vehicle.updated_at = moment
        session.add(vehicle)
        session.flush()
        return booking_out(booking, vehicle.code, moment)

    return _event(session, principal, booking_id, "start", None, idempotency_key, work)


def end(
    session: Session,
    principal: Principal,
    booking_id: str,
    body: EndRequest,
    *,
    idempotency_key: str | None,
    now: datetime | None = None,
) -> BookingOut:
    """Lock and finish where the zones allow parking; the price is counted by started minute."""
    moment = now or fleet.utcnow()

    def work() -> BookingOut:
        booking, vehicle = _load_own(session, principal, booking_id)
        if booking.state != "STARTED":
            raise Conflict(f"booking {booking.id} is {booking.state}; only a ride can end")
        parking = fleet.check_end_position(session, vehicle, body.lat, body.lon)
        started = fleet.as_utc(booking.started_at or moment)
        minutes = max(1, math.ceil((moment - started).total_seconds() / 60))
        distance = geo.haversine_m(
            booking.start_lat or vehicle.lat, booking.start_lon or vehicle.lon, body.lat, body.lon
        )
        _transition(
            session,
            booking,
            from_states=("STARTED",),
            now=moment,
            unexpired=False,
            values={
                "state": "FINISHED",
                "ended_at": moment,
                "end_lat": body.lat,
                "end_lon": body.lon,
                "distance_m": round(distance, 1),
                "price": fleet.ride_price(booking.unlock_price, booking.per_minute, minutes),
            },
        )
        _after_ride(session, vehicle, body, parking, distance, moment)
        return booking_out(booking, vehicle.code, moment)

    return _event(session, principal, booking_id, "end", body, idempotency_key, work)


def _after_ride(
    session: Session,
    vehicle: Vehicle,
    body: EndRequest,
    parking: fleet.Parking,
    distance: float,
    now: datetime,
) -> None:
    vtype = session.get(VehicleType, vehicle.vehicle_type_id)
    if vtype is not None and vtype.max_range_meters and vehicle.battery_percent is not None:
        # Straight-line distance under-counts the route; 1.3 is a usual detour factor.
        used = 100 * distance * 1.3 / vtype.max_range_meters
        vehicle.battery_percent = max(0, round(vehicle.battery_percent - used))
        vehicle.current_range_meters = vtype.max_range_meters * vehicle.battery_percent / 100
    vehicle.lat, vehicle.lon = body.lat, body.lon
    vehicle.station_id = parking.station_id
    vehicle.status = "available"
    vehicle.hold_until = None
    vehicle.public_id = new_id()
    vehicle.updated_at = vehicle.last_reported = now
    session.add(vehicle)
    session.flush()


def cancel(
    session: Session,
    principal: Principal,
    booking_id: str,
    *,
    idempotency_key: str | None,
    now: datetime | None = None,
) -> BookingOut:
    """CANCEL a hold or reservation (free of charge); the vehicle is available again at once."""
    moment = now or fleet.utcnow()

    def work() -> BookingOut:
        booking, vehicle = _load_own(session, principal, booking_id)
        _transition(
            session,
            booking,
            from_states=_HOLDING,
            now=moment,
            unexpired=True,
            values={"state": "CANCELLED", "cancelled_at": moment, "expires_at": None},
        )
        vehicle.status = "available"
        vehicle.hold_until = None
        vehicle.updated_at = moment
        session.add(vehicle)
        session.flush()
        return booking_out(booking, vehicle.code, moment)

    return _event(session, principal, booking_id, "cancel", None, idempotency_key, work)


def get_booking(
    session: Session, principal: Principal, booking_id: str, now: datetime | None = None
) -> BookingOut:
    booking, vehicle = _load_own(session, principal, booking_id)
    return booking_out(booking, vehicle.code, now or fleet.utcnow())


def my_bookings(
    session: Session, principal: Principal, *, limit: int = 50, now: datetime | None = None
) -> list[BookingOut]:
    """The caller's bookings as rider or as proxy, newest first."""
    query = (
        select(Booking, Vehicle.code)
        .join(Vehicle, col(Vehicle.id) == col(Booking.vehicle_id))
        .where(
            or_(
                col(Booking.user_id) == principal.subject,
                col(Booking.booked_by) == principal.subject,
            )
        )
        .order_by(col(Booking.created_at).desc())
        .limit(limit)
    )
    moment = now or fleet.utcnow()
    return [booking_out(b, code, moment) for b, code in session.exec(query).all()]


def all_bookings(
    session: Session,
    principal: Principal,
    *,
    state: str | None = None,
    limit: int = 200,
    now: datetime | None = None,
) -> list[BookingOut]:
    """Every booking, for operators; `state` filters on the effective state."""
    fleet.require_operator(principal)
    moment = now or fleet.utcnow()
    query = (
        select(Booking, Vehicle.code)
        .join(Vehicle, col(Vehicle.id) == col(Booking.vehicle_id))
        .order_by(col(Booking.created_at).desc())
    )
    if state in ACTIVE_STATES or state in ("FINISHED", "CANCELLED"):
        query = query.where(col(Booking.state) == state)
    elif state == "EXPIRED":
        query = query.where(col(Booking.state).in_((*_HOLDING, "EXPIRED")))
    elif state is not None:
        raise InvalidInput(f"unknown booking state {state!r}")
    result = [booking_out(b, code, moment) for b, code in session.exec(query.limit(limit)).all()]
    return [b for b in result if state is None or b.state == state]
