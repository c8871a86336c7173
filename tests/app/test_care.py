"""The ケア tab's state against the real server (ASGI) with real access tokens and the demo's
people: the nurse records today's visit through the offline outbox, cannot close it unsent
without a warning; the daughter sees it in her family view and acknowledges it; the care
manager filters the team timeline and posts a message."""

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import timedelta

import flet as ft
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func
from sqlmodel import Session, select

from app.client.api import ApiClient
from app.client.cache import Cache
from app.client.care import CareState, RecordStatus, VisitDraft
from app.client.state import AppState, MemoryPreferences
from app.client.sync import SyncEngine
from app.client.views.care import care_screen
from server.auth import tokens
from server.auth.demo import load_demo_accounts
from server.auth.models import Consent, User
from server.care.demo import load_demo_care
from server.care.models import CareVisit, CareVisitRecord
from server.clinic.demo import load_demo_clinic

from .conftest import Switch  # noqa: TID252

SCOPE = "openid offline_access patient/*.cruds user/*.cruds"


@dataclass
class Device:
    care: CareState
    network: Switch
    engine: SyncEngine
    user: User
    redraws: list[int]


@pytest.fixture
def demo(session: Session, app: FastAPI) -> dict[str, User]:
    """The demo's people, team, two weeks of timeline, today's visit and consultation."""
    load_demo_accounts(session, app.state.settings)
    load_demo_care(session)
    load_demo_clinic(session, app.state.settings)
    session.flush()
    return {u.username: u for u in session.exec(select(User)).all()}


@pytest.fixture
async def devices(
    app: FastAPI, session: Session, demo: dict[str, User]
) -> AsyncIterator[Callable[[str], Device]]:
    """`device("nurse.sato")`: that person signed in on their own device."""
    opened: list[tuple[ApiClient, httpx.AsyncClient, SyncEngine]] = []

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
        http = httpx.AsyncClient(
            transport=network,
            base_url="http://machi.test",
            headers={"Authorization": f"Bearer {token}"},
        )
        engine = SyncEngine(Cache(":memory:"), http)
        redraws: list[int] = []
        care = CareState(
            api,
            engine=lambda: engine,
            whoami=lambda: user.role,
            on_change=lambda: redraws.append(1),
        )
        opened.append((api, http, engine))
        return Device(care, network, engine, user, redraws)

    yield device
    for api, http, engine in opened:
        await http.aclose()
        await api.aclose()
        engine.cache.close()


def fill(draft: VisitDraft, note: str) -> None:
    for name, value in {
        "systolic": "１３２",  # full-width digits, as a Japanese keyboard may type them
        "diastolic": "78",
        "pulse": "70",
        "temperature": "36.6",
        "spo2": "97",
        "meals": "朝食 全量",
        "mood": "穏やか",
        "note": note,
    }.items():
        draft.set(name, value)
    draft.toggle_care("服薬確認", True)
    draft.toggle_care("足浴", True)


def records_on_server(session: Session, visit_id: str) -> int:
    return int(
        session.exec(
            select(func.count())
            .select_from(CareVisitRecord)
            .where(CareVisitRecord.visit_id == visit_id)
        ).one()
    )


async def test_the_nurse_sees_todays_visit_with_the_patients_summary(
    devices: Callable[[str], Device],
) -> None:
    nurse = devices("nurse.sato").care

    await nurse.load()

    assert nurse.mode == "nurse"
    assert [v.patient_name for v in nurse.visits] == ["日立 花子"]
    visit = nurse.visits[0]
    summary = nurse.summaries[visit.patient_id]
    assert any("アムロジピン" in m for m in summary.medications or [])
    assert any("135/85" in p for p in summary.care_plan or [])
    assert summary.emergency_contacts
    assert summary.emergency_contacts[0]["phone"]
    assert summary.recent_vitals
    assert {"systolic", "diastolic"} <= {p.code for p in summary.recent_vitals}
    assert nurse.record_status(visit.id) is RecordStatus.NONE


async def test_a_visit_recorded_with_no_signal_waits_then_arrives_exactly_once(
    devices: Callable[[str], Device], session: Session
) -> None:
    device = devices("nurse.sato")
    nurse = device.care
    device.engine.subscribe(nurse.sync_changed)  # as the app wires it
    await nurse.load()
    visit = nurse.visits[0]
    device.network.online = False

    nurse.open_visit(visit.id)
    nurse.start_record()
    fill(nurse.draft(visit.id), "足のむくみなし。")
    saved = await nurse.save_record()

    assert saved
    assert nurse.record_status(visit.id) is RecordStatus.PENDING
    assert nurse.pending_count() == 1
    assert not await nurse.sync_now()  # still no signal: nothing lost, still pending
    assert nurse.pending_count() == 1
    assert records_on_server(session, visit.id) == 0

    device.network.online = True
    assert await nurse.sync_now()
    await nurse.sync_now()  # a second run sends nothing twice

    assert nurse.pending_count() == 0
    assert nurse.record_status(visit.id) is RecordStatus.SENT
    assert nurse.notice == "care.sent"
    assert records_on_server(session, visit.id) == 1
    stored = session.get(CareVisitRecord, session.get(CareVisit, visit.id).record_id)  # type: ignore[union-attr]
    assert stored is not None
    assert "足のむくみなし" in stored.data
    assert '"systolic": 132' in stored.data or '"systolic":132' in stored.data


async def test_closing_a_visit_with_an_unsent_record_warns_and_needs_a_reason(
    devices: Callable[[str], Device], session: Session
) -> None:
    device = devices("nurse.sato")
    nurse = device.care
    await nurse.load()
    visit = nurse.visits[0]
    nurse.open_visit(visit.id)
    nurse.start_record()
    fill(nurse.draft(visit.id), "申し送りなし")
    await nurse.save_record()
    device.network.online = False

    await nurse.request_close(visit.id)

    assert nurse.close_warning == visit.id
    assert session.get(CareVisit, visit.id).status != "done"  # type: ignore[union-attr]
    await nurse.close_anyway(visit.id)  # no reason typed
    assert nurse.error == "care.err_reason"

    device.network.online = True
    await nurse.send_then_close(visit.id)

    assert nurse.close_warning is None
    shown = nurse.visit(visit.id)
    assert shown is not None
    assert shown.status == "done"
    closed = session.get(CareVisit, visit.id)
    assert closed is not None
    assert closed.status == "done"
    assert not closed.closed_without_record


async def test_closing_without_any_record_is_possible_with_a_reason(
    devices: Callable[[str], Device], session: Session
) -> None:
    nurse = devices("nurse.sato").care
    await nurse.load()
    visit = nurse.visits[0]

    await nurse.request_close(visit.id)
    assert nurse.close_warning == visit.id
    nurse.close_reason = "ご本人不在（デイサービス）"
    await nurse.close_anyway(visit.id)

    closed = session.get(CareVisit, visit.id)
    assert closed is not None
    assert closed.status == "done"
    assert closed.closed_without_record


async def test_a_typo_in_a_vital_is_caught_on_the_tablet_and_nothing_is_queued(
    devices: Callable[[str], Device],
) -> None:
    nurse = devices("nurse.sato").care
    await nurse.load()
    nurse.open_visit(nurse.visits[0].id)
    nurse.start_record()
    draft = nurse.draft(nurse.visits[0].id)
    draft.set("systolic", "1320")
    draft.set("temperature", "三十六")

    assert not await nurse.save_record()
    assert nurse.draft_errors == {"systolic": "care.err_range", "temperature": "care.err_number"}
    assert nurse.pending_count() == 0


async def test_with_no_signal_the_tablet_opens_on_the_last_known_visits(
    devices: Callable[[str], Device],
) -> None:
    device = devices("nurse.sato")
    await device.care.load()
    device.network.online = False
    reopened = CareState(device.care.api, engine=lambda: device.engine, whoami=lambda: "nurse")

    await reopened.load()

    assert reopened.from_cache
    assert [v.id for v in reopened.visits] == [v.id for v in device.care.visits]
    assert reopened.visits[0].patient_id in reopened.summaries


async def test_the_daughter_sees_the_visit_and_acknowledges_it(
    devices: Callable[[str], Device],
) -> None:
    nurse = devices("nurse.sato").care
    await nurse.load()
    visit = nurse.visits[0]
    nurse.open_visit(visit.id)
    nurse.start_record()
    fill(nurse.draft(visit.id), "今日は庭を散歩されました。")
    await nurse.save_record()
    assert await nurse.sync_now()
    daughter = devices("yoko").care

    await daughter.load()

    assert daughter.mode == "family"
    view = daughter.family[visit.patient_id]
    newest = (view.latest_visits or [])[0]
    assert "庭を散歩" in newest.text
    assert not newest.acked_by_me
    assert view.vitals_trend
    assert view.next_appointments is not None
    unread = view.unread

    await daughter.acknowledge(newest.id)

    acked = (daughter.family[visit.patient_id].latest_visits or [])[0]
    assert acked.acked_by_me
    assert daughter.family[visit.patient_id].unread == unread - 1
    await daughter.load()  # the server agrees
    assert (daughter.family[visit.patient_id].latest_visits or [])[0].acked_by_me
    # What the nurse wrote for professionals only never reaches the family view.
    assert all(p.audience == "all" for p in daughter.family[visit.patient_id].messages or [])


async def test_the_care_manager_filters_the_timeline_and_posts_to_the_team(
    devices: Callable[[str], Device],
) -> None:
    manager = devices("cm.suzuki").care
    await manager.load()
    assert manager.mode == "team"
    assert {p.kind for p in manager.timeline} >= {"visit_record", "message", "service_use"}

    await manager.toggle_kind("message")
    assert manager.timeline
    assert {p.kind for p in manager.timeline} == {"message"}

    manager.message = "来週からデイサービスを週2回にします。"
    assert await manager.post_message()

    assert manager.timeline[0].text == "来週からデイサービスを週2回にします。"
    assert manager.message == ""


async def test_posting_with_no_signal_says_so_and_keeps_the_text(
    devices: Callable[[str], Device],
) -> None:
    device = devices("cm.suzuki")
    await device.care.load()
    device.network.online = False
    device.care.message = "電話ください"

    assert not await device.care.post_message()

    assert device.care.error == "care.err_offline"
    assert device.care.message == "電話ください"


def test_the_draft_reads_full_width_numbers_and_keeps_whole_numbers_whole() -> None:
    draft = VisitDraft(systolic="１２８", temperature="３６．５", weight="45")

    values, errors = draft.vitals()

    assert errors == {}
    assert values == {"systolic": 128, "temperature": 36.5, "weight": 45.0}
    assert VisitDraft().is_empty()


async def test_every_role_s_screen_draws_from_its_state(
    devices: Callable[[str], Device],
) -> None:
    """The views are functions of the state: build each role's screen (tablet and phone) from
    loaded data, so a control that cannot be built fails here rather than in a browser."""
    shell = AppState(prefs=MemoryPreferences())
    for username in ("nurse.sato", "yoko", "cm.suzuki", "hanako"):
        care = devices(username).care
        await care.load()
        if care.visits:
            care.open_visit(care.visits[0].id)
            care.start_record()
            care.close_warning = care.visits[0].id
        for wide in (True, False):
            screen = care_screen(shell, care, wide)
            assert isinstance(screen, ft.Control)


def texts(control: object) -> list[str]:
    """Every text a control tree shows (to check what a screen leaves out)."""
    found: list[str] = []
    if isinstance(control, ft.Text) and control.value:
        found.append(str(control.value))
    for name in ("content", "controls"):
        child = getattr(control, name, None)
        for item in child if isinstance(child, list) else [child]:
            if isinstance(item, ft.Control):
                found += texts(item)
    return found


async def test_what_the_person_does_not_share_stays_off_the_family_view(
    devices: Callable[[str], Device], session: Session
) -> None:
    # 花子 stops sharing her vitals and medicines (with her daughter, and with the team she
    # is also a member of).
    for consent in session.exec(select(Consent).where(Consent.patient_id == "demo-hanako")):
        consent.categories = "visits appointments care_timeline"
        session.add(consent)
    session.flush()
    daughter = devices("yoko").care

    await daughter.load()

    view = daughter.family["demo-hanako"]
    assert view.vitals_trend is None
    assert "vitals_trend" in view.hidden
    assert view.latest_visits
    shown = " ".join(texts(care_screen(AppState(prefs=MemoryPreferences()), daughter, False)))
    assert "最近の訪問" in shown
    assert "バイタルの推移" not in shown
    assert "血圧" not in shown


async def test_the_nurse_puts_her_visits_in_her_own_order(
    devices: Callable[[str], Device], session: Session, demo: dict[str, User]
) -> None:
    first = session.exec(select(CareVisit).where(CareVisit.nurse_user_id == demo["nurse.sato"].id))
    today = max(first.all(), key=lambda v: v.scheduled_start)
    later = CareVisit(
        patient_id=today.patient_id,
        nurse_user_id=today.nurse_user_id,
        scheduled_start=today.scheduled_start + timedelta(hours=3),
        scheduled_end=today.scheduled_end + timedelta(hours=3),
        purpose="服薬確認",
        sequence=1,
    )
    session.add(later)
    session.flush()
    device = devices("nurse.sato")
    nurse = device.care
    await nurse.load()
    assert [v.id for v in nurse.visits] == [today.id, later.id]

    await nurse.move_visit(later.id, -1)

    assert [v.id for v in nurse.visits] == [later.id, today.id]
    await nurse.load()  # the server keeps her order
    assert [v.id for v in nurse.visits] == [later.id, today.id]
    device.network.online = False
    await nurse.move_visit(later.id, 1)  # needs the network: said so, order unchanged
    assert nurse.error == "care.err_offline"
    assert [v.id for v in nurse.visits] == [later.id, today.id]
    shown = " ".join(texts(care_screen(AppState(prefs=MemoryPreferences()), nurse, True)))
    assert "服薬確認" in shown
