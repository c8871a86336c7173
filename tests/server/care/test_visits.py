"""The nurse's tablet: today's visits, the summary, and the visit record made exactly once."""

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlmodel import func, select

from server.auth.access import Role
from server.care.models import CarePost, CareVisitRecord
from server.health.models import FhirResource


def _setup(world: Any) -> Any:
    hanako = world.user("日立 花子", Role.RESIDENT)
    nurse = world.user("看護 さくら", Role.NURSE)
    daughter = world.user("日立 美咲", Role.FAMILY)
    world.team(hanako, nurse, categories="vitals visits appointments care_timeline")
    world.consent(hanako, daughter, "visits care_timeline appointments")
    visit = world.visit(hanako, nurse)
    return hanako, nurse, daughter, visit


def _record(visit: Any, **overrides: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "visit_id": visit.id,
        "recorded_at": datetime.now(UTC).isoformat(),
        "vitals": {"systolic": 132, "diastolic": 78, "pulse": 72, "temperature": 36.6, "spo2": 97},
        "meals": "朝食8割",
        "sleep": "夜間2回覚醒",
        "excretion": "排便あり",
        "mood": "穏やか",
        "skin": "仙骨部に発赤なし",
        "care_given": ["服薬確認", "足浴"],
        "note": "歩行器での移動は安定",
        **overrides,
    }


def _count(world: Any, res_type: str) -> int:
    return int(
        world.session.exec(
            select(func.count()).select_from(FhirResource).where(FhirResource.res_type == res_type)
        ).one()
    )


def test_todays_visits_list_the_nurses_visits_in_order(world: Any) -> None:
    _hanako, nurse, _, visit = _setup(world)

    visits = world.as_(nurse).get("/api/v1/care/visits").json()

    assert [v["id"] for v in visits] == [visit.id]
    assert visits[0]["patient_name"] == "日立 花子"
    assert visits[0]["record_received"] is False


def test_the_visit_record_becomes_encounter_observations_and_a_post_exactly_once(
    world: Any,
) -> None:
    _hanako, nurse, _, visit = _setup(world)
    body = _record(visit)
    encounters, observations = _count(world, "Encounter"), _count(world, "Observation")

    first = world.as_(nurse).put(f"/api/v1/care/visit-records/{body['id']}", json=body)
    retry = world.as_(nurse).put(f"/api/v1/care/visit-records/{body['id']}", json=body)

    assert first.status_code == 201, first.text
    assert retry.status_code == 200
    assert retry.json() == first.json()
    assert _count(world, "Encounter") == encounters + 1
    # blood pressure panel + pulse + temperature + SpO2, and five nursing observations
    assert _count(world, "Observation") == observations + 9
    posts = world.session.exec(select(CarePost).where(CarePost.kind == "visit_record")).all()
    assert len(posts) == 1
    assert "足浴" in posts[0].text
    encounter = world.as_(nurse).get(f"/fhir/Encounter/{first.json()['encounter_id']}")
    if encounter.status_code == 200:
        assert encounter.json()["class"]["code"] == "HH"


def test_the_same_record_id_with_other_content_is_a_conflict(world: Any) -> None:
    _, nurse, _, visit = _setup(world)
    body = _record(visit)
    world.as_(nurse).put(f"/api/v1/care/visit-records/{body['id']}", json=body)

    changed = world.as_(nurse).put(
        f"/api/v1/care/visit-records/{body['id']}", json={**body, "note": "別の内容"}
    )

    assert changed.status_code == 409


def test_a_visit_is_not_closed_done_before_its_record_arrived(world: Any) -> None:
    _, nurse, _, visit = _setup(world)

    refused = world.as_(nurse).post(f"/api/v1/care/visits/{visit.id}/close", json={})
    body = _record(visit)
    world.as_(nurse).put(f"/api/v1/care/visit-records/{body['id']}", json=body)
    closed = world.as_(nurse).post(f"/api/v1/care/visits/{visit.id}/close", json={})

    assert refused.status_code == 409
    assert closed.status_code == 200
    assert closed.json()["status"] == "done"
    assert closed.json()["record_received"] is True


def test_closing_without_a_record_needs_a_reason(world: Any) -> None:
    _, nurse, _, visit = _setup(world)
    url = f"/api/v1/care/visits/{visit.id}/close"

    no_reason = world.as_(nurse).post(url, json={"without_record": True})
    with_reason = world.as_(nurse).post(url, json={"without_record": True, "reason": "不在"})

    assert no_reason.status_code == 422
    assert with_reason.status_code == 200


def test_only_the_visiting_nurse_records_the_visit(world: Any) -> None:
    hanako, _, _, visit = _setup(world)
    other = world.user("別の 看護師", Role.NURSE)
    world.consent(hanako, other)
    body = _record(visit)

    response = world.as_(other).put(f"/api/v1/care/visit-records/{body['id']}", json=body)

    assert response.status_code == 403


def test_the_record_made_offline_arrives_once_through_the_sync_outbox(world: Any) -> None:
    hanako, nurse, _, visit = _setup(world)
    body = _record(visit)
    record_id = body.pop("id")
    push = {
        "mutations": [
            {
                "idempotency_key": f"k-{record_id}",
                "collection": "visit_records",
                "record_id": record_id,
                "op": "create",
                "patient_id": hanako.patient_id,
                "data": body,
            }
        ]
    }

    first = world.as_(nurse).post("/api/v1/sync/push", json=push)
    again = world.as_(nurse).post("/api/v1/sync/push", json=push)

    assert first.status_code == 200, first.text
    assert first.json()["results"][0]["status"] == "applied", first.text
    assert again.json()["results"][0]["status"] == "duplicate"
    rows = world.session.exec(select(CareVisitRecord).where(CareVisitRecord.visit_id == visit.id))
    assert len(rows.all()) == 1
    visits = world.as_(nurse).get("/api/v1/care/visits").json()
    assert visits[0]["record_received"] is True


def test_the_summary_hides_what_the_consent_does_not_share(world: Any) -> None:
    hanako, nurse, _, visit = _setup(world)  # the team's consent leaves out medications
    body = _record(visit)
    world.as_(nurse).put(f"/api/v1/care/visit-records/{body['id']}", json=body)

    summary = world.as_(nurse).get(f"/api/v1/care/{hanako.patient_id}/summary").json()

    assert summary["medications"] is None
    assert "medications" in summary["hidden"]
    assert {p["code"] for p in summary["recent_vitals"]} >= {"systolic", "diastolic", "pulse"}
    assert summary["notes"][0]["kind"] == "visit_record"


def test_the_family_view_shows_visits_and_hides_vitals_without_consent(world: Any) -> None:
    hanako, nurse, daughter, visit = _setup(world)  # the daughter's consent has no vitals
    body = _record(visit)
    world.as_(nurse).put(f"/api/v1/care/visit-records/{body['id']}", json=body)
    world.as_(nurse).post(f"/api/v1/care/{hanako.patient_id}/posts", json={"text": "お元気です"})

    view = world.as_(daughter).get(f"/api/v1/care/{hanako.patient_id}/family")

    assert view.status_code == 200
    data = view.json()
    assert data["vitals_trend"] is None
    assert "vitals_trend" in data["hidden"]
    assert len(data["latest_visits"]) == 1
    assert [m["text"] for m in data["messages"]] == ["お元気です"]
    assert data["unread"] == 2
    world.as_(daughter).post(f"/api/v1/care/posts/{data['messages'][0]['id']}/ack")
    assert world.as_(daughter).get(f"/api/v1/care/{hanako.patient_id}/family").json()["unread"] == 1


def test_the_family_cannot_write_a_visit_record(world: Any) -> None:
    _, _, daughter, visit = _setup(world)
    body = _record(visit)

    response = world.as_(daughter).put(f"/api/v1/care/visit-records/{body['id']}", json=body)

    assert response.status_code == 403
