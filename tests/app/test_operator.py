"""The operator's fleet screen state against the real server (ASGI) with real access tokens: the
whole fleet with filters, the current bookings, taking a vehicle out of service and back, the
server's refusal for a vehicle in a ride shown as it is, and a resident refused."""

from collections.abc import AsyncIterator, Awaitable, Callable
from types import SimpleNamespace
from typing import cast

import flet as ft
import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import Session

from app.client.api import ApiClient
from app.client.auth import Me
from app.client.auth import Session as AppSession
from app.client.mobility import MobilityState
from app.client.operator import OperatorState, is_operator
from app.client.state import AppState, MemoryPreferences
from app.client.views.mobility import mobility_screen
from app.client.views.operator import operator_screen
from server.auth import tokens
from server.auth.models import User, new_id
from server.mobility.demo import load_demo_fleet

SCOPE = "openid offline_access patient/*.cruds user/*.cruds"

Client = Callable[[str], Awaitable[ApiClient]]


@pytest.fixture
async def client_as(app: FastAPI, session: Session) -> AsyncIterator[Client]:
    """`await client_as(role)`: an ApiClient signed in as a new user with that role."""
    load_demo_fleet(session)
    session.commit()
    clients: list[ApiClient] = []

    async def make(role: str) -> ApiClient:
        uid = new_id()
        patient_id = f"p-{uid[:12]}" if role == "resident" else None
        session.add(
            User(id=uid, username=f"{role[:2]}-{uid[:8]}", role=role, patient_id=patient_id)
        )
        session.flush()
        token = tokens.issue_access_token(
            session,
            app.state.settings,
            subject=uid,
            client_id="machi-app",
            scope=SCOPE,
            role=role,
            patient_id=patient_id,
        )
        session.commit()  # a refused request rolls back: keep the user and the signing key

        async def provide() -> str:
            return token

        api = ApiClient(
            "http://machi.test", transport=httpx.ASGITransport(app=app), token_provider=provide
        )
        clients.append(api)
        return api

    yield make
    for api in clients:
        await api.aclose()


async def test_the_operator_sees_the_whole_fleet_and_filters_it_by_status_and_type(
    client_as: Client,
) -> None:
    op = OperatorState(await client_as("operator"))

    await op.load()

    assert op.error is None
    assert len(op.vehicles) > 1
    first = op.vehicles[0]
    assert {"code", "status", "battery_percent", "lat", "lon", "last_reported"} <= first.keys()
    type_id = op.types[0][0]
    op.filter_type(type_id)
    assert op.shown_vehicles
    assert {v["vehicle_type_id"] for v in op.shown_vehicles} == {type_id}
    op.filter_type(None)
    op.filter_status("maintenance")
    assert all(v["status"] == "maintenance" for v in op.shown_vehicles)
    assert len(op.shown_vehicles) == op.count("maintenance")


async def test_taking_a_vehicle_out_of_service_and_back_after_confirming(
    client_as: Client,
) -> None:
    op = OperatorState(await client_as("admin"))
    await op.load()
    vehicle = next(v for v in op.vehicles if v["status"] == "available")

    change = op.ask(vehicle["id"], op.next_status(vehicle))
    assert change is not None
    assert change.status == "disabled"
    assert await op.confirm()

    assert op.asking is None
    assert op.notice == "out_of_service"
    out = next(v for v in op.vehicles if v["id"] == vehicle["id"])
    assert out["status"] == "disabled"
    await op.load()  # the server kept it
    assert next(v for v in op.vehicles if v["id"] == vehicle["id"])["status"] == "disabled"

    op.ask(vehicle["id"], op.next_status(out))
    assert await op.confirm()
    assert next(v for v in op.vehicles if v["id"] == vehicle["id"])["status"] == "available"
    assert op.notice == "in_service"


async def test_dismissing_the_confirm_dialog_changes_nothing(client_as: Client) -> None:
    op = OperatorState(await client_as("operator"))
    await op.load()
    vehicle = next(v for v in op.vehicles if v["status"] == "available")

    op.ask(vehicle["id"], "disabled")
    op.dismiss()

    assert not await op.confirm()
    await op.load()
    assert next(v for v in op.vehicles if v["id"] == vehicle["id"])["status"] == "available"


async def test_a_vehicle_in_a_ride_shows_in_the_bookings_and_cannot_be_taken_out_of_service(
    client_as: Client,
) -> None:
    rider = MobilityState(await client_as("resident"))
    await rider.load_nearby()
    booking = await rider.reserve(rider.vehicles[0]["id"])
    assert booking is not None
    await rider.unlock(booking["id"])
    op = OperatorState(await client_as("operator"))
    await op.load()

    riding = next(b for b in op.shown_bookings if b["id"] == booking["id"])
    assert riding["state"] == "STARTED"
    vehicle = next(v for v in op.vehicles if v["id"] == booking["vehicle_id"])
    assert vehicle["status"] == "in_use"
    op.ask(vehicle["id"], op.next_status(vehicle))

    assert not await op.confirm()

    assert op.error is not None
    assert vehicle["code"] in op.error
    assert "cancel or end that booking" in op.error
    assert next(v for v in op.vehicles if v["id"] == vehicle["id"])["status"] == "in_use"
    shown = _texts(operator_screen(AppState(prefs=MemoryPreferences()), op, lambda make: None))
    assert f"変更できませんでした: {op.error}" in shown


async def test_a_resident_is_refused_the_fleet_screen(client_as: Client) -> None:
    op = OperatorState(await client_as("resident"))

    await op.load()
    refused = await op.set_status("any-vehicle", "disabled")

    assert not is_operator("resident")
    assert op.vehicles == []
    assert not refused
    assert op.error is not None
    assert "only operators and administrators" in op.error


def _texts(control: object) -> list[str]:
    """Every Text value in a control tree (its content, controls and actions)."""
    found: list[str] = []
    if isinstance(control, ft.Text) and isinstance(control.value, str):
        found.append(control.value)
    for name in ("content", "controls", "actions"):
        child = getattr(control, name, None)
        for c in child if isinstance(child, list) else [child]:
            if c is not None and not isinstance(c, str):
                found += _texts(c)
    return found


def _me(role: str) -> Me:
    return Me(id="u1", username="u1", display_name="u1", role=role, patient_id=None)


async def test_the_tab_shows_operators_the_fleet_and_residents_the_rider_screen(
    client_as: Client,
) -> None:
    op = OperatorState(await client_as("operator"), started=True)
    await op.load()
    state = AppState(prefs=MemoryPreferences())
    mob = MobilityState(op.api, started=True)
    operator = cast(AppSession, SimpleNamespace(me=_me("operator"), signed_in=True))
    resident = cast(AppSession, SimpleNamespace(me=_me("resident"), signed_in=True))

    for_operator = _texts(mobility_screen(state, mob, operator, lambda make: None, op))
    for_resident = _texts(mobility_screen(state, mob, resident, lambda make: None, op))

    assert "車両の管理（事業者）" in for_operator
    assert for_operator.count("運休にする") == len(op.vehicles) - op.count("disabled") - op.count(
        "maintenance"
    )
    assert for_operator.count("運行に戻す") == op.count("disabled") + op.count("maintenance")
    assert op.vehicles[0]["code"] in for_operator
    assert "車両の管理（事業者）" not in for_resident
