"""The 診療 tab's state against the real server (ASGI) with real access tokens and the demo's
people: appointments and the join window, booking for oneself / as a family proxy / as the
nurse, the questionnaire, cancelling, the nurse-assisted record, and no queueing offline."""

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import flet as ft
import pytest
from fastapi import FastAPI
from sqlmodel import Session, select

from app.client.api import ApiClient
from app.client.clinic import ClinicState
from app.client.state import AppState, Connection, MemoryPreferences
from app.client.views.clinic import clinic_screen
from server.auth import tokens
from server.auth.demo import load_demo_accounts
from server.auth.models import User
from server.care.demo import load_demo_care
from server.clinic.demo import load_demo_clinic
from server.clinic.models import ClinicAppointment, ClinicSlot

from .conftest import Switch  # noqa: TID252

SCOPE = "openid offline_access patient/*.cruds user/*.cruds"


@dataclass
class Device:
    clinic: ClinicState
    network: Switch
    user: User


@pytest.fixture
def demo(session: Session, app: FastAPI) -> dict[str, User]:
    load_demo_accounts(session, app.state.settings)
    load_demo_care(session)
    load_demo_clinic(session, app.state.settings)
    session.flush()
    return {u.username: u for u in session.exec(select(User)).all()}


@pytest.fixture
async def devices(
    app: FastAPI, session: Session, demo: dict[str, User]
) -> AsyncIterator[Callable[[str], Device]]:
    opened: list[ApiClient] = []

    def device(username: str) -> Device:
        user = demo[username]
        token = tokens.issue_access_token(
            session,
            app.state.settings,
            subject=user.id,
            client_id="machi-app",
            scope=SCOPE,
            role=user.role,
            patient_id=user.patient_id,
        )

        async def provide() -> str:
            return token

        network = Switch(app)
        api = ApiClient("http://machi.test", transport=network, token_provider=provide)
        opened.append(api)
        return Device(ClinicState(api, whoami=lambda: user.role), network, user)

    yield device
    for api in opened:
        await api.aclose()


async def test_the_resident_joins_todays_consultation_inside_the_window(
    devices: Callable[[str], Device],
) -> None:
    clinic = devices("hanako").clinic
    await clinic.load()

    today = clinic.upcoming()[0]
    assert today.can_join(clinic.now())
    assert not today.can_join(today.join_opens - timedelta(seconds=1))
    assert not today.can_join(today.join_closes)
    # The screen redraws itself when that window closes (or the next one opens).
    assert clinic.next_window_change() == today.join_closes
    assert any(r.kind == "soon" and r.due for r in clinic.reminders)
    # Once 「…からです」 is due, 「明日…」 no longer applies: one timing reminder at a time.
    due = [r.kind for r in clinic.due_reminders() if r.appointment_id == today.id]
    assert "soon" in due
    assert "day_before" not in due

    url = await clinic.join(today.id)

    assert url is not None
    parts = urlsplit(url)
    assert parts.path.strip("/")
    assert "jwt" in parse_qs(parts.query)
    assert clinic.assist_for is None  # the person themself records nothing


async def test_the_resident_books_answers_the_questionnaire_and_cancels(
    devices: Callable[[str], Device], session: Session
) -> None:
    clinic = devices("hanako").clinic
    await clinic.load()
    await clinic.open_booking()
    assert clinic.doctors
    assert clinic.slots
    slot = clinic.slots[0]
    clinic.reason = "血圧の相談"

    booked = await clinic.book(slot.id)

    assert booked is not None
    assert booked.booked_as == "self"
    assert clinic.notice == "clinic.booked"
    assert booked.id in {a.id for a in clinic.upcoming()}
    assert not booked.can_join(clinic.now())  # days ahead: the button stays inactive

    clinic.open_questionnaire(booked.id)
    clinic.questionnaire.set("symptoms", "朝の血圧が高い")
    clinic.questionnaire.set("temperature", "３６．４")
    assert await clinic.submit_questionnaire()
    answered = clinic.appointment(booked.id)
    assert answered is not None
    assert answered.questionnaire_done

    assert await clinic.cancel(booked.id, "体調が良くなった")

    assert booked.id not in {a.id for a in clinic.upcoming()}
    freed = session.get(ClinicSlot, slot.id)
    assert freed is not None
    assert freed.status == "free"


async def test_the_daughter_books_for_her_mother_as_proxy(
    devices: Callable[[str], Device],
) -> None:
    clinic = devices("yoko").clinic
    await clinic.load()
    assert clinic.patient_id == "demo-hanako"
    await clinic.open_booking()

    booked = await clinic.book(clinic.slots[0].id)

    assert booked is not None
    assert booked.booked_as == "proxy"
    assert booked.patient_id == "demo-hanako"


async def test_the_nurse_starts_the_call_then_records_the_assisted_consultation(
    devices: Callable[[str], Device], session: Session
) -> None:
    nurse = devices("nurse.sato")
    clinic = nurse.clinic
    await clinic.load()
    assert clinic.is_nurse
    assert clinic.patient_id is None  # the nurse's own schedule of assisted consultations
    today = clinic.upcoming()[0]
    assert today.nurse_assisted

    url = await clinic.join(today.id)

    assert url is not None
    assert clinic.assist_for == today.id
    clinic.assist.actions = "タブレットで接続、血圧測定値を医師に報告"
    clinic.assist.patient_response = "落ち着いて医師と話された"
    clinic.now = lambda: datetime.now(UTC) + timedelta(minutes=12)
    assert await clinic.submit_assist()

    assert not [r for r in clinic.due_reminders() if r.appointment_id == today.id]
    stored = session.get(ClinicAppointment, today.id)
    assert stored is not None
    assert stored.assist_recorded_by == nurse.user.id
    assert stored.assist_response == "落ち着いて医師と話された"
    assert stored.assist_ended_at is not None
    assert stored.assist_started_at is not None


async def test_the_nurse_books_for_the_patient_with_the_nurse_attending(
    devices: Callable[[str], Device],
) -> None:
    clinic = devices("nurse.sato").clinic
    await clinic.load()
    await clinic.open_booking()
    assert clinic.patient_id == "demo-hanako"

    booked = await clinic.book(clinic.slots[0].id)

    assert booked is not None
    assert booked.booked_as == "staff"
    assert booked.nurse_assisted


async def test_booking_with_no_signal_says_the_network_is_needed_and_queues_nothing(
    devices: Callable[[str], Device], session: Session
) -> None:
    device = devices("hanako")
    clinic = device.clinic
    await clinic.load()
    await clinic.open_booking()
    slot = clinic.slots[0]
    device.network.online = False

    assert await clinic.book(slot.id) is None
    assert await clinic.join(clinic.upcoming()[0].id) is None

    assert clinic.needs_network
    assert clinic.error == "clinic.err_network"
    device.network.online = True
    still_free = session.get(ClinicSlot, slot.id)
    assert still_free is not None
    assert still_free.status == "free"


async def test_a_join_before_the_window_is_refused_with_the_servers_reason(
    devices: Callable[[str], Device],
) -> None:
    clinic = devices("hanako").clinic
    await clinic.load()
    await clinic.open_booking()
    booked = await clinic.book(clinic.slots[0].id)
    assert booked is not None

    assert await clinic.join(booked.id) is None

    assert clinic.error == "clinic.err_join"
    assert clinic.error_detail
    assert "opens" in clinic.error_detail
    assert not clinic.needs_network


def test_a_temperature_that_is_not_one_is_caught_before_sending() -> None:
    state = ClinicState(ApiClient("http://machi.test"))
    state.questionnaire.set("temperature", "高い")
    with pytest.raises(ValueError, match="could not convert"):
        state.questionnaire.body()
    state.questionnaire.set("temperature", "50")
    with pytest.raises(ValueError, match="out of range"):
        state.questionnaire.body()


async def test_every_role_s_clinic_screen_draws_with_booking_and_forms_open(
    devices: Callable[[str], Device],
) -> None:
    shell = AppState(prefs=MemoryPreferences())

    async def launch(url: str) -> None:
        del url

    for username in ("hanako", "yoko", "nurse.sato"):
        clinic = devices(username).clinic
        await clinic.load()
        await clinic.open_booking()
        first = clinic.upcoming()[0] if clinic.upcoming() else None
        if first is not None:
            clinic.open_questionnaire(first.id)
            clinic.ask_cancel(first.id)
            clinic.open_assist(first.id)
        for connection in (Connection.ONLINE, Connection.OFFLINE):
            shell.connection = connection
            assert isinstance(clinic_screen(shell, clinic, launch), ft.Control)
