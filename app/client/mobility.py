"""The 乗り物 tab on the device: nearby vehicles, reserve → unlock → ride → end, my bookings, and
the home-to-stop shuttle. Plain Python (no Flet): views/mobility.py only draws this state.

Every unsafe call carries an Idempotency-Key that is kept until the server answers, so a retry
after a dropped connection never books twice.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from app.client.api import ApiClient, ApiError

# Where the list looks from. The app has no location service yet (flet-geolocator is not in the
# phone build), so the rider picks the station they are at.
PLACES: list[tuple[str, str, float, float]] = [
    ("日立駅", "Hitachi Sta.", 36.59060, 140.65310),
    ("常陸多賀駅", "Hitachi-Taga Sta.", 36.55209, 140.63238),
    ("大甕駅", "Omika Sta.", 36.51450, 140.61880),
    ("勝田駅", "Katsuta Sta.", 36.39448, 140.52440),
]
NEARBY_RADIUS_M = 800
LOCAL_TZ = ZoneInfo("Asia/Tokyo")
ACTIVE = ("PENDING", "CONFIRMED", "STARTED")
SLOTS_SHOWN = 4


def area_centre(area: list[Any]) -> tuple[float, float]:
    """(lat, lon) of the middle of a MultiPolygon's first outer ring (GeoJSON [lon, lat])."""
    ring = area[0][0]
    lons = [p[0] for p in ring]
    lats = [p[1] for p in ring]
    return (min(lats) + max(lats)) / 2, (min(lons) + max(lons)) / 2


@dataclass
class MobilityState:
    api: ApiClient
    on_change: Callable[[], None] = lambda: None
    view: str = "nearby"  # nearby, bookings, shuttle
    started: bool = False  # the first visit loads the nearby list
    place: int = 0
    vehicles: list[dict[str, Any]] = field(default_factory=list)
    bookings: list[dict[str, Any]] = field(default_factory=list)
    stations: list[dict[str, Any]] = field(default_factory=list)
    no_parking: list[dict[str, Any]] = field(default_factory=list)  # shown when an end is refused
    error: str | None = None
    notice: str | None = None
    busy: bool = False
    # The shuttle screen: a service, home (a point in its area), a stop, then a slot.
    services: list[dict[str, Any]] = field(default_factory=list)
    service_id: str | None = None
    home: tuple[float, float] | None = None
    stop_id: str | None = None
    slots: list[dict[str, Any]] = field(default_factory=list)
    slots_tomorrow: bool = False
    shuttle_bookings: list[dict[str, Any]] = field(default_factory=list)
    confirmation: dict[str, Any] | None = None
    _keys: dict[str, str] = field(default_factory=dict)

    def _changed(self) -> None:
        self.on_change()

    def _key(self, action: str) -> str:
        return self._keys.setdefault(action, uuid.uuid4().hex)

    async def _call(
        self, action: str, method: str, path: str, json: Any = None
    ) -> dict[str, Any] | None:
        """An unsafe call: its key survives a failure (a retry is the same request)."""
        self.error = None
        try:
            data: dict[str, Any] = await self.api.request(
                method, path, json=json, idempotency_key=self._key(action)
            )
        except ApiError as exc:
            if exc.status is not None:
                self._keys.pop(action, None)  # the server answered: a new try is a new request
            self.error = exc.message
            return None
        self._keys.pop(action, None)
        return data

    # ---- nearby vehicles -----------------------------------------------------------------

    @property
    def position(self) -> tuple[float, float]:
        _ja, _en, lat, lon = PLACES[self.place]
        return lat, lon

    async def load_nearby(self) -> None:
        lat, lon = self.position
        self.busy, self.error = True, None
        self._changed()
        try:
            self.vehicles = list(
                await self.api.request(
                    "GET",
                    "/api/v1/mobility/vehicles",
                    params={"lat": lat, "lon": lon, "radius_m": NEARBY_RADIUS_M},
                )
            )
        except ApiError as exc:
            self.error, self.vehicles = exc.message, []
        self.busy = False
        self._changed()

    async def choose_place(self, index: int) -> None:
        self.place = index
        await self.load_nearby()

    # ---- bookings: reserve → unlock → end ------------------------------------------------

    async def load_bookings(self) -> None:
        try:
            self.bookings = list(await self.api.request("GET", "/api/v1/mobility/bookings"))
            self.shuttle_bookings = list(
                await self.api.request("GET", "/api/v1/mobility/shuttle/bookings")
            )
            if not self.stations:
                self.stations = list(await self.api.request("GET", "/api/v1/mobility/stations"))
        except ApiError as exc:
            self.error = exc.message
        self._changed()

    @property
    def active(self) -> list[dict[str, Any]]:
        return [b for b in self.bookings if b["state"] in ACTIVE]

    async def reserve(self, vehicle_id: str) -> dict[str, Any] | None:
        """Hold the vehicle and confirm at once: one tap for the rider."""
        held = await self._call(
            f"hold:{vehicle_id}", "POST", "/api/v1/mobility/bookings", {"vehicle_id": vehicle_id}
        )
        booking = held and await self._call(
            f"confirm:{held['id']}", "POST", f"/api/v1/mobility/bookings/{held['id']}/confirm"
        )
        if booking:
            self.notice = "reserved"
            self.view = "bookings"
            await self.load_bookings()
        self._changed()
        return booking

    async def unlock(self, booking_id: str) -> None:
        if await self._call(
            f"start:{booking_id}", "POST", f"/api/v1/mobility/bookings/{booking_id}/start"
        ):
            self.notice = "unlocked"
            await self.load_bookings()
        self._changed()

    async def end(self, booking_id: str, lat: float, lon: float) -> bool:
        """Lock the vehicle here; when the zones refuse, keep the reason and the zones to show."""
        self.no_parking = []
        ended = await self._call(
            f"end:{booking_id}:{lat:.5f},{lon:.5f}",
            "POST",
            f"/api/v1/mobility/bookings/{booking_id}/end",
            {"lat": lat, "lon": lon},
        )
        if ended is None:
            try:
                zones = await self.api.request("GET", "/api/v1/mobility/zones")
                self.no_parking = [z for z in zones if not z["ride_end_allowed"]]
            except ApiError:
                pass
            self._changed()
            return False
        self.notice = "ended"
        await self.load_bookings()
        return True

    async def cancel(self, booking_id: str) -> None:
        if await self._call(
            f"cancel:{booking_id}", "POST", f"/api/v1/mobility/bookings/{booking_id}/cancel"
        ):
            await self.load_bookings()
        self._changed()

    # ---- the shuttle -----------------------------------------------------------------------

    async def load_services(self) -> None:
        try:
            self.services = list(await self.api.request("GET", "/api/v1/mobility/shuttle/services"))
        except ApiError as exc:
            self.error = exc.message
        if self.services and self.service_id is None:
            self.choose_service(self.services[0]["id"])
        self._changed()

    def service(self) -> dict[str, Any] | None:
        return next((s for s in self.services if s["id"] == self.service_id), None)

    async def pick_service(self, service_id: str) -> None:
        self.choose_service(service_id)
        self._changed()

    def choose_service(self, service_id: str, home: tuple[float, float] | None = None) -> None:
        """Home defaults to the middle of the area (the demo has no addresses)."""
        self.service_id = service_id
        service = self.service()
        self.home = home or (area_centre(service["area"]) if service else None)
        self.stop_id, self.slots, self.confirmation = None, [], None

    async def choose_stop(self, stop_id: str) -> None:
        self.stop_id, self.confirmation = stop_id, None
        assert self.service_id is not None
        assert self.home is not None
        self.slots = []
        today = datetime.now(LOCAL_TZ).date()
        # Late in the day there is no run left: offer tomorrow's first ones instead.
        for day in (today, today + timedelta(days=1)):
            try:
                slots = await self.api.request(
                    "GET",
                    f"/api/v1/mobility/shuttle/services/{self.service_id}/slots",
                    params={
                        "stop_id": stop_id,
                        "lat": self.home[0],
                        "lon": self.home[1],
                        "direction": "to_stop",
                        "day": day.isoformat(),
                    },
                )
            except ApiError as exc:
                self.error = exc.message
                break
            self.slots = [s for s in slots if s["seats_left"] > 0][:SLOTS_SHOWN]
            self.slots_tomorrow = day != today
            if self.slots:
                break
        self._changed()

    async def book_shuttle(self, slot_start: str) -> dict[str, Any] | None:
        assert self.service_id is not None
        assert self.stop_id is not None
        assert self.home is not None
        body = {
            "service_id": self.service_id,
            "slot_start": slot_start,
            "direction": "to_stop",
            "stop_id": self.stop_id,
            "lat": self.home[0],
            "lon": self.home[1],
        }
        booked = await self._call(
            f"shuttle:{self.service_id}:{slot_start}",
            "POST",
            "/api/v1/mobility/shuttle/bookings",
            body,
        )
        if booked:
            self.confirmation = booked
            self.slots = []
        self._changed()
        return booked

    async def cancel_shuttle(self, booking_id: str) -> None:
        if await self._call(
            f"shuttle-cancel:{booking_id}",
            "POST",
            f"/api/v1/mobility/shuttle/bookings/{booking_id}/cancel",
        ):
            await self.load_bookings()
        self._changed()

    # ---- from a journey's leg ----------------------------------------------------------------

    async def book_leg(self, leg: dict[str, Any]) -> dict[str, Any] | None:
        """Book what an itinerary's leg says to book (the journeys API's `booking`)."""
        booking = leg.get("booking") or {}
        if booking.get("kind") == "vehicle":
            return await self.reserve(str(booking["vehicle_id"]))
        if booking.get("kind") == "shuttle":
            if not self.services:
                await self.load_services()
            self.view = "shuttle"
            self.choose_service(str(booking["service_id"]), (booking["lat"], booking["lon"]))
            self.stop_id = str(booking["stop_id"])
            return await self.book_shuttle(str(booking["slot_start"]))
        return None
