"""Online clinic: booking by self, proxy and nurse; the video room's JWT and join window."""

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from joserfc import jwt
from joserfc.jwk import OctKey
from sqlmodel import select

from server.auth.access import Role, current_principal
from server.clinic import service, video
from server.clinic.models import Clinic, ClinicSlot, Doctor
from server.core.settings import Settings

SECRET = "test-video-secret-0123456789abcdef0123456789"


@pytest.fixture
def video_settings(world: Any) -> Settings:
    settings: Settings = world.app.state.settings.model_copy(
        update={
            "video_secret": SECRET,
            "video_domain": "meet.example.jp",
            "video_app_id": "machi-test",
            "video_audience": "jitsi",
        }
    )
    world.app.state.settings = settings
    return settings


def _setup(world: Any, starts_in: timedelta = timedelta(minutes=10)) -> Any:
    hanako = world.user("日立 花子", Role.RESIDENT)
    doctor_user = world.user("医師 一郎", Role.DOCTOR)
    nurse = world.user("看護 さくら", Role.NURSE)
    daughter = world.user("日立 美咲", Role.FAMILY)
    world.team(hanako, nurse, categories="vitals visits appointments care_timeline")
    clinic = Clinic(name="日立オンラインクリニック")
    world.session.add(clinic)
    world.session.flush()
    doctor = Doctor(
        clinic_id=clinic.id,
        user_id=doctor_user.id,
        display_name="医師 一郎",
        practitioner_id=f"pr-{doctor_user.id[:8]}",
        schedule_id=f"sc-{doctor_user.id[:8]}",
    )
    world.session.add(doctor)
    world.session.flush()
    start = (datetime.now(UTC) + starts_in).replace(microsecond=0)
    principal = world.principal(doctor_user)
    service.publish_doctor(world.session, principal, doctor)
    slots = service.add_slots(
        world.session, principal, doctor, [start, start + timedelta(minutes=30)], 20
    )
    world.session.commit()
    return hanako, doctor_user, nurse, daughter, slots


def _book(client: Any, slot: ClinicSlot, **body: Any) -> Any:
    return client.post("/api/v1/clinic/appointments", json={"slot_id": slot.id, **body})


def test_the_resident_books_a_free_slot_and_it_is_gone_from_the_list(world: Any) -> None:
    hanako, _, _, _, slots = _setup(world)

    booked = _book(world.as_(hanako), slots[0], reason="血圧の相談")
    free = world.as_(hanako).get(f"/api/v1/clinic/doctors/{slots[0].doctor_id}/slots").json()

    assert booked.status_code == 201, booked.text
    assert booked.json()["booked_as"] == "self"
    assert [s["id"] for s in free] == [slots[1].id]


def test_a_slot_is_booked_only_once(world: Any) -> None:
    hanako, _, _, _, slots = _setup(world)
    other = world.user("別の 住民", Role.RESIDENT)
    _book(world.as_(hanako), slots[0])

    second = _book(world.as_(other), slots[0])

    assert second.status_code == 409


def test_family_books_only_with_a_proxy_consent(world: Any) -> None:
    hanako, _, _, daughter, slots = _setup(world)
    world.consent(hanako, daughter, "appointments care_timeline")
    body = {"patient_id": hanako.patient_id}

    refused = _book(world.as_(daughter), slots[0], **body)
    world.consent(hanako, daughter, "appointments", proxy=True)
    allowed = _book(world.as_(daughter), slots[0], **body)

    assert refused.status_code == 403
    assert allowed.status_code == 201, allowed.text
    assert allowed.json()["booked_as"] == "proxy"


def test_the_nurse_books_for_the_patient_in_assisted_mode(world: Any) -> None:
    hanako, _, nurse, _, slots = _setup(world)

    booked = _book(world.as_(nurse), slots[0], patient_id=hanako.patient_id, nurse_assisted=True)

    assert booked.status_code == 201, booked.text
    assert booked.json()["booked_as"] == "staff"
    assert booked.json()["nurse_assisted"] is True


def test_cancelling_frees_the_slot(world: Any) -> None:
    hanako, _, _, _, slots = _setup(world)
    other = world.user("別の 住民", Role.RESIDENT)
    appointment = _book(world.as_(hanako), slots[0]).json()

    cancelled = world.as_(hanako).post(
        f"/api/v1/clinic/appointments/{appointment['id']}/cancel", json={"reason": "体調回復"}
    )

    assert cancelled.json()["status"] == "cancelled"
    assert _book(world.as_(other), slots[0]).status_code == 201


def test_the_appointment_is_a_fhir_appointment_with_the_virtual_service_extension(
    world: Any,
) -> None:
    hanako, _, _, _, slots = _setup(world)
    appointment = _book(world.as_(hanako), slots[0]).json()

    stored = world.as_(hanako).get(f"/fhir/Appointment/{appointment['id']}")

    assert stored.status_code == 200, stored.text
    resource = stored.json()
    extension = resource["extension"][0]
    assert extension["url"] == service.VIRTUAL_SERVICE
    address = next(e for e in extension["extension"] if e["url"] == "address")
    assert address["valueUrl"].endswith(f"/api/v1/clinic/appointments/{appointment['id']}/join")
    assert "jwt" not in stored.text  # no join secret in FHIR
    assert resource["participant"][0]["actor"]["reference"] == f"Patient/{hanako.patient_id}"


def _decode(token: str) -> dict[str, Any]:
    return dict(jwt.decode(token, OctKey.import_key(SECRET), algorithms=["HS256"]).claims)


def test_join_links_carry_room_bound_claims_for_the_join_window(
    world: Any, video_settings: Settings
) -> None:
    hanako, doctor_user, _, _, slots = _setup(world)
    appointment = _book(world.as_(hanako), slots[0]).json()
    url = f"/api/v1/clinic/appointments/{appointment['id']}/join"

    patient = world.as_(hanako).get(url)
    doctor = world.as_(doctor_user).get(url)

    assert patient.status_code == 200, patient.text
    claims = _decode(patient.json()["token"])
    start = datetime.fromisoformat(appointment["start"])
    end = datetime.fromisoformat(appointment["end"])
    assert claims["iss"] == "machi-test"
    assert claims["aud"] == "jitsi"
    assert claims["sub"] == "meet.example.jp"
    assert claims["room"] == patient.json()["room"]
    assert claims["nbf"] == int((start - timedelta(minutes=15)).timestamp())
    assert claims["exp"] == int(end.timestamp())
    assert claims["context"]["user"]["name"] == "日立 花子"
    assert claims["context"]["user"]["affiliation"] == "member"
    assert all(isinstance(v, str) for v in claims["context"]["user"].values())
    doctor_claims = _decode(doctor.json()["token"])
    assert doctor_claims["context"]["user"]["affiliation"] == "owner"
    assert doctor_claims["room"] == claims["room"]
    assert patient.json()["url"].startswith(f"https://meet.example.jp/{claims['room']}?jwt=")


def test_room_names_are_random_and_say_nothing_about_the_appointment(
    world: Any, video_settings: Settings
) -> None:
    hanako, _, _, _, slots = _setup(world)
    first = _book(world.as_(hanako), slots[0]).json()
    second = _book(world.as_(hanako), slots[1]).json()

    rooms = [
        world.as_(hanako).get(f"/api/v1/clinic/appointments/{a['id']}/join").json()
        for a in (first,)
    ]
    room = rooms[0]["room"]

    assert first["id"] not in room
    assert hanako.patient_id not in room
    assert len(room) >= 24
    assert room == room.lower()
    assert video.new_room_name() != video.new_room_name()
    assert second["id"] != first["id"]


def test_no_link_is_handed_out_before_the_window_opens(
    world: Any, video_settings: Settings
) -> None:
    hanako, _, _, _, slots = _setup(world, starts_in=timedelta(hours=2))
    appointment = _book(world.as_(hanako), slots[0]).json()

    response = world.as_(hanako).get(f"/api/v1/clinic/appointments/{appointment['id']}/join")

    assert response.status_code == 409
    assert appointment["can_join_now"] is False


def test_the_entry_link_opens_the_room_inside_the_window(
    world: Any, video_settings: Settings
) -> None:
    hanako, _, _, _, slots = _setup(world)
    appointment = _book(world.as_(hanako), slots[0]).json()
    joined = world.as_(hanako).get(f"/api/v1/clinic/appointments/{appointment['id']}/join").json()
    entry = urlsplit(joined["entry_url"])

    world.app.dependency_overrides.pop(current_principal)  # works without signing in
    response = world.client.get(f"{entry.path}?{entry.query}", follow_redirects=False)

    assert response.status_code == 307
    assert response.headers["location"] == joined["url"]
    assert parse_qs(entry.query)["jwt"] == [joined["token"]]


def _token(settings: Settings, room: str, opens: datetime, closes: datetime) -> str:
    who = video.Participant(user_id="u1", name="花子", affiliation="member")
    return video.issue_token(
        SECRET, settings, room=room, window=video.JoinWindow(opens, closes), who=who
    )


def test_the_entry_link_refuses_a_token_for_another_room(
    world: Any, video_settings: Settings
) -> None:
    hanako, _, _, _, slots = _setup(world)
    appointment = _book(world.as_(hanako), slots[0]).json()
    room = world.as_(hanako).get(f"/api/v1/clinic/appointments/{appointment['id']}/join").json()
    now = datetime.now(UTC)
    other_room = _token(
        video_settings,
        "machi-someotherroomname",
        now - timedelta(minutes=5),
        now + timedelta(hours=1),
    )

    response = world.client.get(
        f"/api/v1/clinic/rooms/{room['room']}", params={"jwt": other_room}, follow_redirects=False
    )

    assert response.status_code == 403
    assert "another" in response.json()["detail"]


@pytest.mark.parametrize(
    ("opens", "closes"),
    [
        (timedelta(minutes=30), timedelta(minutes=60)),  # not yet open
        (timedelta(minutes=-60), timedelta(minutes=-1)),  # already over
    ],
)
def test_the_entry_link_refuses_a_token_outside_its_window(
    world: Any, video_settings: Settings, opens: timedelta, closes: timedelta
) -> None:
    hanako, _, _, _, slots = _setup(world)
    appointment = _book(world.as_(hanako), slots[0]).json()
    room = world.as_(hanako).get(f"/api/v1/clinic/appointments/{appointment['id']}/join").json()
    now = datetime.now(UTC)
    token = _token(video_settings, room["room"], now + opens, now + closes)

    response = world.client.get(
        f"/api/v1/clinic/rooms/{room['room']}", params={"jwt": token}, follow_redirects=False
    )

    assert response.status_code == 403


def test_the_entry_link_refuses_a_token_signed_with_another_secret(
    world: Any, video_settings: Settings
) -> None:
    hanako, _, _, _, slots = _setup(world)
    appointment = _book(world.as_(hanako), slots[0]).json()
    room = world.as_(hanako).get(f"/api/v1/clinic/appointments/{appointment['id']}/join").json()
    forged = jwt.encode(
        {"alg": "HS256"}, _decode(room["token"]), OctKey.import_key("another-secret-" * 4)
    )

    response = world.client.get(
        f"/api/v1/clinic/rooms/{room['room']}", params={"jwt": forged}, follow_redirects=False
    )

    assert response.status_code == 403


def test_a_cancelled_appointment_has_no_room(world: Any, video_settings: Settings) -> None:
    hanako, _, _, _, slots = _setup(world)
    appointment = _book(world.as_(hanako), slots[0]).json()
    room = world.as_(hanako).get(f"/api/v1/clinic/appointments/{appointment['id']}/join").json()
    world.as_(hanako).post(f"/api/v1/clinic/appointments/{appointment['id']}/cancel", json={})

    entry = world.client.get(
        f"/api/v1/clinic/rooms/{room['room']}",
        params={"jwt": room["token"]},
        follow_redirects=False,
    )

    assert entry.status_code == 403


def test_a_stranger_gets_no_link(world: Any, video_settings: Settings) -> None:
    hanako, _, _, _, slots = _setup(world)
    appointment = _book(world.as_(hanako), slots[0]).json()
    stranger = world.user("知らない人", Role.FAMILY)

    response = world.as_(stranger).get(f"/api/v1/clinic/appointments/{appointment['id']}/join")

    assert response.status_code == 403


def test_the_questionnaire_is_answered_by_the_resident_and_read_by_the_doctor(
    world: Any,
) -> None:
    hanako, doctor_user, _, _, slots = _setup(world)
    appointment = _book(world.as_(hanako), slots[0]).json()
    url = f"/api/v1/clinic/appointments/{appointment['id']}/questionnaire"

    answered = world.as_(hanako).put(url, json={"symptoms": "めまい", "temperature": 36.8})
    read = world.as_(doctor_user).get(url)
    stranger = world.as_(world.user("他の 医師", Role.DOCTOR)).get(url)

    assert answered.json()["questionnaire_done"] is True
    assert read.json()["resourceType"] == "QuestionnaireResponse"
    assert read.json()["item"][0]["answer"][0]["valueString"] == "めまい"
    assert stranger.status_code == 403


def test_the_nurse_records_the_assisted_consultation(world: Any, video_settings: Settings) -> None:
    hanako, _, nurse, _, slots = _setup(world)
    appointment = _book(world.as_(nurse), slots[0], patient_id=hanako.patient_id).json()
    joined = world.as_(nurse).get(f"/api/v1/clinic/appointments/{appointment['id']}/join")
    assert joined.status_code == 200, joined.text
    assert "花子" in _decode(joined.json()["token"])["context"]["user"]["name"]
    start = datetime.now(UTC)

    recorded = world.as_(nurse).put(
        f"/api/v1/clinic/appointments/{appointment['id']}/assist",
        json={
            "started_at": start.isoformat(),
            "ended_at": (start + timedelta(minutes=12)).isoformat(),
            "actions": "血圧測定と患部の映像提示を補助",
            "patient_response": "質問に笑顔で回答",
        },
    )

    assert recorded.status_code == 200, recorded.text
    assert recorded.json()["status"] == "fulfilled"
    assert recorded.json()["assist_recorded"] is True
    posts = (
        world.as_(nurse)
        .get(f"/api/v1/care/{hanako.patient_id}/timeline", params={"kind": "service_use"})
        .json()
    )
    assert "12分" in posts[0]["text"]


def test_reminders_list_the_coming_consultation_and_the_missing_questionnaire(
    world: Any,
) -> None:
    hanako, _, _, _, slots = _setup(world)
    _book(world.as_(hanako), slots[0])

    reminders = world.as_(hanako).get("/api/v1/clinic/reminders").json()

    kinds = {r["kind"]: r for r in reminders}
    assert kinds["soon"]["due"] is True
    assert kinds["questionnaire"]["due"] is True


def test_the_doctors_schedule_lists_their_consultations(world: Any) -> None:
    hanako, doctor_user, _, _, slots = _setup(world)
    _book(world.as_(hanako), slots[0])

    schedule = world.as_(doctor_user).get("/api/v1/clinic/appointments").json()

    assert [a["patient_name"] for a in schedule] == ["日立 花子"]


def test_slots_are_published_as_fhir_slots(world: Any) -> None:
    hanako, _, _, _, slots = _setup(world)
    _book(world.as_(hanako), slots[0])

    slot = world.as_(hanako).get(f"/fhir/Slot/{slots[0].id}")

    assert slot.json()["status"] == "busy"
    assert (
        world.session.exec(select(ClinicSlot).where(ClinicSlot.id == slots[0].id)).one().status
        == "busy"
    )
