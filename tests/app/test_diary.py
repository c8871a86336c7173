"""The 健康日記 state on the device, against the real server (ASGI) with a real access token:
quick entries, today's list, trends with bands, checkups, the report, and offline entries
that are queued, shown at once, and sent exactly once."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import Session, select

from app.client.api import ApiClient
from app.client.cache import Cache
from app.client.diary import LOCAL_TZ, DiaryState, default_timing
from app.client.sync import SyncEngine
from server.auth import tokens
from server.auth.models import User, new_id
from server.sync.models import DiaryEntry as SyncedDiaryEntry

from .conftest import Switch  # noqa: TID252

SCOPE = "openid offline_access patient/*.cruds user/*.cruds"


@dataclass
class Phone:
    diary: DiaryState
    network: Switch
    engine: SyncEngine
    patient_id: str


@pytest.fixture
async def phone(app: FastAPI, session: Session) -> AsyncIterator[Phone]:
    """A resident signed in on a phone: a real token, the app's ApiClient and sync engine."""
    uid = new_id()
    patient_id = f"p-{uid[:12]}"
    session.add(User(id=uid, username=f"r-{uid[:8]}", role="resident", patient_id=patient_id))
    session.flush()
    token = tokens.issue_access_token(
        session,
        app.state.settings,
        subject=uid,
        client_id="machi-app",
        scope=SCOPE,
        role="resident",
        patient_id=patient_id,
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
    diary = DiaryState(api, sync=engine, patient_id=patient_id)
    yield Phone(diary, network, engine, patient_id)
    await http.aclose()
    await api.aclose()
    engine.cache.close()


async def test_a_blood_pressure_reading_appears_today_and_in_the_trend_as_high(
    phone: Phone,
) -> None:
    diary = phone.diary
    await diary.refresh()
    diary.typed.update({"systolic": "１４２", "diastolic": "88", "pulse": "72"})

    assert await diary.record_blood_pressure()

    await diary.refresh()
    [entry] = diary.today()
    assert (entry.measure, entry.value, entry.value2, entry.band) == (
        "blood_pressure",
        142,
        88,
        "high",
    )
    assert entry.timing == default_timing(datetime.now(LOCAL_TZ))
    assert not entry.pending
    assert diary.trend is not None
    assert [(p.value, p.value2, p.band) for p in diary.trend_points()] == [(142, 88, "high")]
    assert {b.key: b.low for b in diary.trend.bands}["high"] == 135
    assert {b.key: b.low for b in diary.trend.bands2}["high"] == 85
    assert diary.typed == {}  # the fields are empty for the next reading


async def test_a_diastolic_not_below_the_systolic_is_refused_before_sending(
    phone: Phone,
) -> None:
    diary = phone.diary
    diary.typed.update({"systolic": "80", "diastolic": "120"})

    assert not await diary.record_blood_pressure()

    assert diary.error == "diary.error.order"
    assert phone.network.requests == []
    assert diary.typed["systolic"] == "80"  # nothing typed is lost


async def test_quick_entries_notes_and_medication_show_in_todays_list(phone: Phone) -> None:
    diary = phone.diary
    diary.typed.update({"weight": "52.4", "temperature": "37.8", "medication": "アムロジピン"})
    assert await diary.record_measurement("weight")
    assert await diary.record_measurement("temperature")
    diary.mood = 4
    diary.typed["note"] = "肩こり"
    assert await diary.record_note()
    assert await diary.record_medication(taken=False)

    await diary.refresh()

    by_measure = {e.measure: e for e in diary.today()}
    assert by_measure["weight"].value == 52.4
    assert by_measure["temperature"].band == "fever"
    assert by_measure["note"].value == 4
    assert "肩こり" in (by_measure["note"].text or "")
    assert "飲み忘れ" in (by_measure["medication"].text or "")


async def test_an_entry_made_offline_is_queued_shown_at_once_and_sent_exactly_once(
    phone: Phone, session: Session
) -> None:
    diary = phone.diary
    phone.network.online = False
    diary.typed.update({"systolic": "142", "diastolic": "88", "pulse": "70"})

    assert await diary.record_blood_pressure()

    assert diary.saved == "diary.queued"
    [entry] = diary.today()
    assert (entry.value, entry.value2, entry.pulse, entry.band, entry.pending) == (
        142,
        88,
        70,
        "high",
        True,
    )
    assert diary.pending_count() == 3  # systolic, diastolic, pulse: 「未送信 3件」
    assert [p.pending for p in diary.trend_points()] == [True]

    # The first attempt to send finds no signal; nothing is lost.
    with pytest.raises(Exception, match="cannot reach"):
        await phone.engine.sync()
    assert diary.pending_count() == 3

    phone.network.online = True
    await phone.engine.sync()
    await phone.engine.sync()  # a second run sends nothing again

    assert diary.pending_count() == 0
    [entry] = diary.today()
    assert not entry.pending
    assert entry.band == "high"
    pushes = [r for r in phone.network.requests if r.url.path == "/api/v1/sync/push"]
    assert len(pushes) == 1
    stored = session.exec(
        select(SyncedDiaryEntry).where(SyncedDiaryEntry.patient_id == phone.patient_id)
    ).all()
    assert sorted((row.kind, row.value) for row in stored) == [
        ("diastolic", 88),
        ("heart_rate", 70),
        ("systolic", 142),
    ]


async def test_glucose_needs_a_connection_and_says_so(phone: Phone) -> None:
    diary = phone.diary
    phone.network.online = False
    diary.typed["glucose"] = "130"

    assert not await diary.record_measurement("glucose")

    assert diary.error == "diary.error.needs_connection"
    assert diary.pending_count() == 0
    assert diary.typed["glucose"] == "130"


async def test_the_checkup_level_and_the_doctor_report(phone: Phone) -> None:
    diary = phone.diary
    checkup = {
        "checked_on": "2026-06-10",
        "sex": "male",
        "birth_date": "1960-04-01",
        "height_cm": 170,
        "weight_kg": 80,
        "waist_cm": 92,
        "systolic": 142,
        "diastolic": 92,
        "triglycerides": 180,
        "hdl": 45,
        "fasting_glucose": 98,
    }
    await diary.api.request("POST", "/api/v1/diary/checkups", json=checkup)
    diary.typed.update({"systolic": "150", "diastolic": "95"})
    await diary.record_blood_pressure()

    await diary.refresh()
    report = await diary.report(7, "csv")

    assert diary.checkup is not None
    assert diary.checkup.level == "動機付け支援"  # 積極的 risk, capped at 65–74
    assert diary.checkup.reasons
    assert report is not None
    assert report.name.endswith("-7d.csv")
    assert "150" in report.content.decode("utf-8-sig")


async def test_switching_the_trend_measure_and_days(phone: Phone) -> None:
    diary = phone.diary
    diary.typed["steps"] = "9000"
    await diary.record_measurement("steps")

    await diary.show_trend("steps", 7)

    assert diary.trend is not None
    assert (diary.trend.measure, diary.trend.days) == ("steps", 7)
    assert [(p.value, p.band) for p in diary.trend_points()] == [(9000, "good")]
