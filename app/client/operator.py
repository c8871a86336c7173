"""The operator's fleet screen on the 乗り物 tab: every vehicle (filtered by status and type), the
current bookings, and taking a vehicle out of service or putting it back. Plain Python (no Flet):
views/operator.py only draws this state.

The server decides who may do this (operators and administrators) and refuses to take out of
service a vehicle someone is riding; its reason is kept in `error` to be shown as it is.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.client.api import ApiClient, ApiError

OPERATOR_ROLES = frozenset({"operator", "admin"})
VEHICLE_STATUSES = ("available", "reserved", "in_use", "disabled", "maintenance")
# The statuses an operator may set (the server's VehicleStatusUpdate); the others follow bookings.
OUT_OF_SERVICE = "disabled"
IN_SERVICE = "available"
CURRENT_BOOKINGS = ("PENDING", "CONFIRMED", "STARTED")
BOOKINGS_LIMIT = 200


def is_operator(role: str | None) -> bool:
    return role in OPERATOR_ROLES


@dataclass(frozen=True)
class StatusChange:
    """A change the operator asked for and has not confirmed yet (the confirm dialog)."""

    vehicle_id: str
    vehicle_code: str
    status: str


@dataclass
class OperatorState:
    api: ApiClient
    on_change: Callable[[], None] = lambda: None
    started: bool = False  # the first visit loads the fleet
    vehicles: list[dict[str, Any]] = field(default_factory=list)
    bookings: list[dict[str, Any]] = field(default_factory=list)
    stations: dict[str, dict[str, Any]] = field(default_factory=dict)  # by id, for names
    status_filter: str | None = None
    type_filter: str | None = None
    all_bookings: bool = False  # False: only the current ones (held, reserved, riding)
    asking: StatusChange | None = None
    error: str | None = None
    notice: str | None = None  # "out_of_service" / "in_service" after a change
    busy: bool = False
    _keys: dict[str, str] = field(default_factory=dict)

    def _changed(self) -> None:
        self.on_change()

    async def load(self) -> None:
        """The whole fleet and the latest bookings."""
        self.busy, self.error = True, None
        self._changed()
        try:
            self.vehicles = list(
                await self.api.request("GET", "/api/v1/mobility/operator/vehicles")
            )
            self.bookings = list(
                await self.api.request(
                    "GET", "/api/v1/mobility/operator/bookings", params={"limit": BOOKINGS_LIMIT}
                )
            )
            if not self.stations:
                stations = await self.api.request("GET", "/api/v1/mobility/stations")
                self.stations = {s["id"]: s for s in stations}
        except ApiError as exc:
            self.error, self.vehicles, self.bookings = exc.message, [], []
        self.busy = False
        self._changed()

    # ---- what the screen shows ------------------------------------------------------------

    @property
    def types(self) -> list[tuple[str, str, str]]:
        """(vehicle_type_id, name, name_en) of the types in the fleet, in first-seen order."""
        seen: dict[str, tuple[str, str, str]] = {}
        for v in self.vehicles:
            seen.setdefault(
                v["vehicle_type_id"], (v["vehicle_type_id"], v["type_name"], v["type_name_en"])
            )
        return list(seen.values())

    @property
    def shown_vehicles(self) -> list[dict[str, Any]]:
        return [
            v
            for v in self.vehicles
            if (self.status_filter is None or v["status"] == self.status_filter)
            and (self.type_filter is None or v["vehicle_type_id"] == self.type_filter)
        ]

    @property
    def shown_bookings(self) -> list[dict[str, Any]]:
        if self.all_bookings:
            return self.bookings
        return [b for b in self.bookings if b["state"] in CURRENT_BOOKINGS]

    def count(self, status: str) -> int:
        return sum(1 for v in self.vehicles if v["status"] == status)

    def filter_status(self, status: str | None) -> None:
        self.status_filter = status
        self._changed()

    def filter_type(self, vehicle_type_id: str | None) -> None:
        self.type_filter = vehicle_type_id
        self._changed()

    def show_all_bookings(self, show: bool) -> None:
        self.all_bookings = show
        self._changed()

    # ---- out of service / back in service -------------------------------------------------

    @staticmethod
    def next_status(vehicle: dict[str, Any]) -> str:
        """What the vehicle's button does: back in service when it is out, else out of it."""
        return IN_SERVICE if vehicle["status"] in ("disabled", "maintenance") else OUT_OF_SERVICE

    def ask(self, vehicle_id: str, status: str) -> StatusChange | None:
        """The operator pressed a vehicle's button: remember the change to confirm."""
        vehicle = next((v for v in self.vehicles if v["id"] == vehicle_id), None)
        if vehicle is None:
            return None
        self.asking = StatusChange(vehicle_id, vehicle["code"], status)
        self.error = self.notice = None
        return self.asking

    def dismiss(self) -> None:
        self.asking = None
        self._changed()

    async def confirm(self) -> bool:
        """Send the change asked for; on a refusal keep the server's reason in `error`."""
        change, self.asking = self.asking, None
        if change is None:
            return False
        return await self.set_status(change.vehicle_id, change.status)

    async def set_status(self, vehicle_id: str, status: str) -> bool:
        # The key lives until the server answers: a retry after no signal is the same request.
        action = f"{vehicle_id}:{status}"
        key = self._keys.setdefault(action, uuid.uuid4().hex)
        self.busy, self.error, self.notice = True, None, None
        self._changed()
        try:
            updated: dict[str, Any] = await self.api.request(
                "PATCH",
                f"/api/v1/mobility/operator/vehicles/{vehicle_id}",
                json={"status": status},
                idempotency_key=key,
            )
        except ApiError as exc:
            if exc.status is not None:
                self._keys.pop(action, None)
            self.error, self.busy = exc.message, False
            self._changed()
            return False
        self._keys.pop(action, None)
        self.vehicles = [updated if v["id"] == vehicle_id else v for v in self.vehicles]
        self.notice = "in_service" if status == IN_SERVICE else "out_of_service"
        self.busy = False
        self._changed()
        return True
