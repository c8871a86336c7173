"""The sync protocol over HTTP: exactly-once pushes, conflicts, rejections, scoped pulls."""

from typing import Any

from sqlmodel import Session, select

from server.auth.access import Role
from server.sync.models import DiaryEntry

from .conftest import Api, create_user, diary, grant, note, revoke  # noqa: TID252


def changes_of(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {change["record_id"]: change for change in body["changes"]}


def test_a_diary_entry_is_applied_and_comes_back_on_the_next_pull(session: Session, api: Api):
    resident = create_user(session)
    me = api.as_(resident)
    entry = diary(resident.patient_id)

    [answer] = me.push(entry)
    body = me.pull()

    assert answer["status"] == "applied"
    assert answer["version"] == 1
    change = changes_of(body)[entry["record_id"]]
    assert change["data"]["value"] == 128
    assert change["deleted"] is False


def test_a_retried_push_is_a_duplicate_with_the_first_answer_and_stores_nothing_twice(
    session: Session, api: Api
):
    resident = create_user(session)
    me = api.as_(resident)
    entry = diary(resident.patient_id)

    [first] = me.push(entry)
    [again] = me.push(entry)

    assert again["status"] == "duplicate"
    assert again["original"] == first
    rows = session.exec(select(DiaryEntry).where(DiaryEntry.id == entry["record_id"])).all()
    assert len(rows) == 1


def test_a_key_reused_for_different_content_is_rejected(session: Session, api: Api):
    resident = create_user(session)
    me = api.as_(resident)
    entry = diary(resident.patient_id)
    me.push(entry)

    [answer] = me.push({**entry, "data": {**entry["data"], "value": 200}})

    assert answer["status"] == "rejected"
    assert "idempotency key" in answer["reason"]


def test_clinical_facts_cannot_be_edited(session: Session, api: Api):
    resident = create_user(session)
    me = api.as_(resident)
    entry = diary(resident.patient_id)
    me.push(entry)

    [answer] = me.push(
        {**diary(resident.patient_id), "record_id": entry["record_id"], "op": "update"}
    )

    assert answer["status"] == "rejected"
    assert "append-only" in answer["reason"]


def test_invalid_data_is_rejected_with_the_reason_and_later_mutations_still_apply(
    session: Session, api: Api
):
    resident = create_user(session)
    me = api.as_(resident)
    bad = diary(resident.patient_id)
    bad["data"]["kind"] = "shoe_size"
    good = diary(resident.patient_id)

    answers = me.push(bad, good)

    assert [a["status"] for a in answers] == ["rejected", "applied"]
    assert "kind" in answers[0]["reason"]
    assert session.get(DiaryEntry, bad["record_id"]) is None


def test_two_edits_of_one_version_give_a_conflict_with_both_versions(session: Session, api: Api):
    mother = create_user(session)
    nurse = create_user(session, Role.NURSE)
    grant(session, mother, nurse)
    created = note(mother.patient_id)
    api.as_(mother).push(created)
    edit = {**created, "op": "update", "base_version": 1}

    [mine] = api.as_(mother).push({**edit, "idempotency_key": "k-mother-1", "data": {"title": "A"}})
    [theirs] = api.as_(nurse).push(
        {**edit, "idempotency_key": "k-nurse-01", "data": {"title": "B"}}
    )

    assert mine["status"] == "applied"
    assert mine["version"] == 2
    assert theirs["status"] == "conflict"
    assert theirs["server"]["version"] == 2
    assert theirs["server"]["data"]["title"] == "A"
    assert theirs["client"]["data"] == {"title": "B"}


def test_a_write_without_consent_is_rejected_with_why(session: Session, api: Api):
    mother = create_user(session)
    stranger = create_user(session, Role.NURSE)

    [answer] = api.as_(stranger).push(diary(mother.patient_id))

    assert answer["status"] == "rejected"
    assert "consent" in answer["reason"]


def test_revoking_consent_purges_the_patient_from_the_device_and_rejects_new_writes(
    session: Session, api: Api
):
    mother = create_user(session)
    daughter = create_user(session, Role.FAMILY)
    consent = grant(session, mother, daughter)
    api.as_(mother).push(diary(mother.patient_id))
    device = api.as_(daughter)
    first = device.pull()
    assert len(first["changes"]) == 1

    revoke(session, consent)
    after = device.pull()
    [write] = device.push(note(mother.patient_id))

    # Other features' collections may add categories; these two are the built-ins'.
    assert {(p["patient_id"], p["category"]) for p in after["purges"]} >= {
        (mother.patient_id, "vitals"),
        (mother.patient_id, "care_timeline"),
    }
    assert after["changes"] == []
    assert write["status"] == "rejected"
    assert device.pull()["purges"] == []


def test_a_new_consent_brings_the_whole_history_but_no_tombstones(session: Session, api: Api):
    mother = create_user(session)
    daughter = create_user(session, Role.FAMILY)
    me = api.as_(mother)
    kept, withdrawn = diary(mother.patient_id), diary(mother.patient_id)
    me.push(kept, withdrawn)
    me.push({**withdrawn, "idempotency_key": "withdraw-1", "op": "delete", "data": None})
    device = api.as_(daughter)
    assert device.pull()["changes"] == []

    grant(session, mother, daughter, categories="vitals")
    body = device.pull()

    assert set(changes_of(body)) == {kept["record_id"]}


def test_a_deletion_reaches_a_device_that_had_the_record_as_a_tombstone(session: Session, api: Api):
    resident = create_user(session)
    me = api.as_(resident)
    entry = diary(resident.patient_id)
    me.push(entry)
    me.pull()

    me.push({**entry, "idempotency_key": "withdraw-2", "op": "delete", "data": None})
    body = me.pull()

    change = changes_of(body)[entry["record_id"]]
    assert change["deleted"] is True
    assert change["data"] is None


def test_a_pull_with_nothing_new_returns_nothing_and_keeps_the_cursor(session: Session, api: Api):
    resident = create_user(session)
    me = api.as_(resident)
    me.push(diary(resident.patient_id))
    cursor = me.pull()["cursor"]

    body = me.pull()

    assert body["changes"] == []
    assert body["purges"] == []
    assert body["cursor"] == cursor


def test_pulls_page_through_many_changes_without_losing_any(session: Session, api: Api):
    resident = create_user(session)
    me = api.as_(resident)
    entries = [diary(resident.patient_id, value=100 + i) for i in range(7)]
    me.push(*entries)

    seen: set[str] = set()
    pages = 0
    while True:
        body = me.pull(limit=3)
        pages += 1
        seen |= set(changes_of(body))
        if not body["has_more"]:
            break

    assert seen == {e["record_id"] for e in entries}
    assert pages == 3


def test_an_unknown_cursor_tells_the_device_to_start_again(session: Session, api: Api):
    resident = create_user(session)
    me = api.as_(resident)
    me.push(diary(resident.patient_id))

    body = me.pull(cursor="1.ffffffffffffffffffffffffffffffff")

    assert body["reset"] is True
    assert len(body["changes"]) == 1


def test_a_malformed_cursor_is_a_clear_error(session: Session, api: Api):
    resident = create_user(session)
    api.as_(resident)

    response = api.client.get(
        "/api/v1/sync/pull", params={"cursor": "yesterday"}, headers={"x-user": resident.id}
    )

    assert response.status_code == 422
    assert "cursor" in response.json()["detail"]
