"""Team membership and the person's consent decide every read of the care timeline."""

from typing import Any

from sqlmodel import func, select

from server.auth.access import Role
from server.auth.models import CareTeamMember
from server.care.models import CarePhoto
from server.care.timeline import PHOTO_MAX_BYTES
from server.health.models import FhirResource

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def _setup(world: Any, *, family_categories: str = "visits care_timeline appointments") -> Any:
    hanako = world.user("日立 花子", Role.RESIDENT)
    nurse = world.user("看護 さくら", Role.NURSE)
    manager = world.user("ケアマネ 太郎", Role.CARE_MANAGER)
    daughter = world.user("日立 美咲", Role.FAMILY)
    team = world.team(hanako, nurse, manager)
    world.consent(hanako, daughter, family_categories)
    return hanako, nurse, manager, daughter, team


def _post(client: Any, patient_id: str, **body: Any) -> Any:
    return client.post(f"/api/v1/care/{patient_id}/posts", json=body)


def test_team_posts_appear_newest_first_with_author_and_role(world: Any) -> None:
    hanako, nurse, manager, _, _ = _setup(world)
    pid = hanako.patient_id
    assert _post(world.as_(nurse), pid, text="昼食は全量摂取").status_code == 201
    assert _post(world.as_(manager), pid, text="来週からデイサービス週2回").status_code == 201

    posts = world.as_(hanako).get(f"/api/v1/care/{pid}/timeline").json()

    assert [p["text"] for p in posts] == ["来週からデイサービス週2回", "昼食は全量摂取"]
    assert posts[0]["author_name"] == "ケアマネ 太郎"
    assert posts[0]["author_role"] == "care_manager"


def test_someone_outside_the_team_without_consent_is_refused(world: Any) -> None:
    hanako, nurse, *_ = _setup(world)
    _post(world.as_(nurse), hanako.patient_id, text="様子変わりなし")
    other_nurse = world.user("他の 看護師", Role.NURSE)

    response = world.as_(other_nurse).get(f"/api/v1/care/{hanako.patient_id}/timeline")

    assert response.status_code == 403


def test_a_removed_member_loses_access_on_the_next_request(world: Any) -> None:
    hanako, nurse, manager, _, _ = _setup(world)
    pid = hanako.patient_id
    assert world.as_(nurse).get(f"/api/v1/care/{pid}/timeline").status_code == 200

    removed = world.as_(manager).delete(f"/api/v1/care/{pid}/team/members/{nurse.id}")

    assert removed.status_code == 200
    assert nurse.id not in [m["user_id"] for m in removed.json()["members"]]
    assert world.as_(nurse).get(f"/api/v1/care/{pid}/timeline").status_code == 403


def test_only_the_person_or_care_manager_removes_others_but_anyone_may_leave(world: Any) -> None:
    hanako, nurse, manager, _, _ = _setup(world)
    pid = hanako.patient_id

    assert (
        world.as_(nurse).delete(f"/api/v1/care/{pid}/team/members/{manager.id}").status_code == 403
    )
    assert world.as_(nurse).delete(f"/api/v1/care/{pid}/team/members/{nurse.id}").status_code == 200
    assert world.as_(nurse).get(f"/api/v1/care/{pid}/timeline").status_code == 403


def test_the_care_manager_invites_a_helper_who_joins_with_the_code(world: Any) -> None:
    hanako, _, manager, _, _team = _setup(world)
    helper = world.user("ヘルパー 次郎", Role.HELPER)
    pid = hanako.patient_id

    invitation = world.as_(manager).post(f"/api/v1/care/{pid}/team/invitations", json={})
    assert invitation.status_code == 201, invitation.text
    accepted = world.as_(helper).post(
        "/api/v1/invitations/accept", json={"code": invitation.json()["code"]}
    )

    assert accepted.status_code == 200, accepted.text
    members = world.as_(helper).get(f"/api/v1/care/{pid}/team").json()["members"]
    assert ("ヘルパー 次郎", "helper") in [(m["name"], m["role"]) for m in members]
    fhir = world.as_(helper).get(f"/api/v1/care/{pid}/team/fhir").json()
    assert fhir["resourceType"] == "CareTeam"
    assert len(fhir["participant"]) == 3


def test_a_nurse_cannot_issue_team_invitations(world: Any) -> None:
    hanako, nurse, *_ = _setup(world)

    response = world.as_(nurse).post(f"/api/v1/care/{hanako.patient_id}/team/invitations", json={})

    assert response.status_code == 403


def test_family_sees_only_the_kinds_their_consent_shares(world: Any) -> None:
    hanako, nurse, _, daughter, _ = _setup(world, family_categories="care_timeline")
    pid = hanako.patient_id
    _post(world.as_(nurse), pid, kind="vitals", text="血圧 128/76", data={"systolic": 128})
    _post(world.as_(nurse), pid, kind="message", text="お変わりありません")

    kinds = [p["kind"] for p in world.as_(daughter).get(f"/api/v1/care/{pid}/timeline").json()]

    assert kinds == ["message"]


def test_family_never_sees_posts_meant_for_professionals(world: Any) -> None:
    hanako, nurse, manager, daughter, _ = _setup(world)
    pid = hanako.patient_id
    _post(world.as_(nurse), pid, text="ご家族への説明は医師から", audience="team")
    _post(world.as_(nurse), pid, text="今日は散歩をしました")

    family_texts = [
        p["text"] for p in world.as_(daughter).get(f"/api/v1/care/{pid}/timeline").json()
    ]
    team_texts = [p["text"] for p in world.as_(manager).get(f"/api/v1/care/{pid}/timeline").json()]

    assert family_texts == ["今日は散歩をしました"]
    assert len(team_texts) == 2


def test_filter_by_type(world: Any) -> None:
    hanako, nurse, *_ = _setup(world)
    pid = hanako.patient_id
    _post(world.as_(nurse), pid, kind="service_use", text="デイサービス利用")
    _post(world.as_(nurse), pid, kind="message", text="連絡です")

    posts = world.as_(nurse).get(f"/api/v1/care/{pid}/timeline", params={"kind": "service_use"})

    assert [p["kind"] for p in posts.json()] == ["service_use"]


def test_acknowledgement_shows_who_has_read_a_post(world: Any) -> None:
    hanako, nurse, _, daughter, _ = _setup(world)
    post = _post(world.as_(nurse), hanako.patient_id, text="本日訪問しました").json()

    first = world.as_(daughter).post(f"/api/v1/care/posts/{post['id']}/ack")
    again = world.as_(daughter).post(f"/api/v1/care/posts/{post['id']}/ack")

    assert first.status_code == 200
    assert [a["name"] for a in again.json()["acks"]] == ["日立 美咲"]
    assert again.json()["acked_by_me"] is True
    seen_by_nurse = world.as_(nurse).get(f"/api/v1/care/{hanako.patient_id}/timeline").json()
    assert seen_by_nurse[0]["acks"][0]["role"] == "family"
    assert seen_by_nurse[0]["acked_by_me"] is False


def test_revoking_consent_ends_family_reads_at_once(world: Any) -> None:
    hanako, _, _, daughter, _ = _setup(world)
    consent_id = world.as_(hanako).get("/api/v1/me/consents").json()
    assert world.as_(daughter).get(f"/api/v1/care/{hanako.patient_id}/family").status_code == 200
    for row in consent_id:
        if row["grantee_user_id"] == daughter.id:
            world.as_(hanako).delete(f"/api/v1/me/consents/{row['id']}")

    assert world.as_(daughter).get(f"/api/v1/care/{hanako.patient_id}/family").status_code == 403


def _counts(world: Any) -> tuple[int, int]:
    photos = world.session.exec(select(func.count()).select_from(CarePhoto)).one()
    documents = world.session.exec(
        select(func.count())
        .select_from(FhirResource)
        .where(FhirResource.res_type == "DocumentReference")
    ).one()
    return photos, documents


def test_a_photo_is_stored_as_document_reference_and_served_to_the_team_only(world: Any) -> None:
    hanako, nurse, manager, _, _ = _setup(world)
    pid = hanako.patient_id

    uploaded = world.as_(nurse).post(f"/api/v1/care/{pid}/photos", content=PNG)
    assert uploaded.status_code == 201, uploaded.text
    photo = uploaded.json()
    post = _post(world.as_(nurse), pid, kind="photo", text="仙骨部", photo_ids=[photo["id"]])
    assert post.status_code == 201

    served = world.as_(manager).get(photo["url"])
    assert served.status_code == 200
    assert served.content == PNG
    assert served.headers["content-type"] == "image/png"
    assert "no-store" in served.headers["cache-control"]
    stranger = world.user("他人", Role.NURSE)
    assert world.as_(stranger).get(photo["url"]).status_code == 403
    document = world.as_(nurse).get(f"/fhir/DocumentReference/{photo['document_reference_id']}")
    if document.status_code == 200:  # the FHIR API authorizes the nurse through the team too
        assert document.json()["content"][0]["attachment"]["contentType"] == "image/png"


def test_a_non_image_is_rejected_and_nothing_is_stored(world: Any) -> None:
    hanako, nurse, *_ = _setup(world)
    before = _counts(world)

    response = world.as_(nurse).post(
        f"/api/v1/care/{hanako.patient_id}/photos",
        content=b"%PDF-1.7 not a photo",
        headers={"Content-Type": "image/jpeg"},
    )

    assert response.status_code == 415
    assert _counts(world) == before


def test_an_oversized_photo_is_rejected_and_nothing_is_stored(world: Any) -> None:
    hanako, nurse, *_ = _setup(world)
    before = _counts(world)

    response = world.as_(nurse).post(
        f"/api/v1/care/{hanako.patient_id}/photos", content=JPEG + b"\x00" * PHOTO_MAX_BYTES
    )

    assert response.status_code == 413
    assert _counts(world) == before


def test_family_cannot_fetch_a_photo_of_a_professionals_only_post(world: Any) -> None:
    hanako, nurse, _, daughter, _ = _setup(world)
    pid = hanako.patient_id
    photo = world.as_(nurse).post(f"/api/v1/care/{pid}/photos", content=JPEG).json()
    _post(
        world.as_(nurse), pid, kind="photo", photo_ids=[photo["id"]], text="褥瘡", audience="team"
    )

    assert world.as_(daughter).get(photo["url"]).status_code == 403


def test_membership_rows_are_kept_when_a_member_leaves(world: Any) -> None:
    hanako, nurse, *_ = _setup(world)
    world.as_(nurse).delete(f"/api/v1/care/{hanako.patient_id}/team/members/{nurse.id}")

    rows = world.session.exec(
        select(CareTeamMember).where(CareTeamMember.user_id == nurse.id)
    ).all()

    assert len(rows) == 1
    assert rows[0].removed_at is not None
