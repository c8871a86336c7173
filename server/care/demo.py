"""Demo care data: 日立 花子's care team (her daughter in Tokyo, the visiting nurse, the doctor,
the care manager), two weeks of timeline, and today's visit for the demo nurse. Idempotent.

Uses Identity's demo accounts (server/auth/demo.py); does nothing when they are absent.
"""

import uuid
from datetime import date, datetime, time, timedelta

from sqlmodel import Session, col, select

from server.auth.access import Principal, Role
from server.auth.models import CareTeam, CareTeamMember, User
from server.care import timeline, visits
from server.care.common import JST, fhir_create, fhir_read, utcnow
from server.care.models import CarePost, CareVisit
from server.care.schemas import Audience, PostIn, PostKind, VisitRecordIn, Vitals

PATIENT = "demo-hanako"
_NS = uuid.UUID("6d616368-6900-4000-8000-000000000006")


def _id(*parts: object) -> str:
    return uuid.uuid5(_NS, "/".join(str(p) for p in parts)).hex


def _principal(user: User) -> Principal:
    return Principal(
        subject=user.id,
        role=Role(user.role),
        patient_id=user.patient_id,
        scopes=frozenset({"user/*.cruds"}),
        client_id="demo",
    )


def _user(session: Session, username: str) -> User | None:
    return session.exec(select(User).where(User.username == username)).first()


def _fhir_records(session: Session, author: Principal) -> None:
    if fhir_read(session, author, "Patient", PATIENT) is None:
        fhir_create(
            session,
            author,
            "Patient",
            {
                "resourceType": "Patient",
                "name": [{"text": "日立 花子", "family": "日立", "given": ["花子"]}],
                "gender": "female",
                "birthDate": "1948-05-12",
                "address": [{"text": "茨城県日立市諏訪町 諏訪台団地 3-12", "city": "日立市"}],
            },
            PATIENT,
        )
    fhir_create(
        session,
        author,
        "RelatedPerson",
        {
            "resourceType": "RelatedPerson",
            "patient": {"reference": f"Patient/{PATIENT}"},
            "relationship": [{"text": "長女（東京都在住）"}],
            "name": [{"text": "日立 洋子"}],
            "telecom": [{"system": "phone", "value": "090-1234-5678"}],
        },
        "demo-hanako-yoko",
    )
    for index, (name, dosage) in enumerate(
        [("アムロジピン錠 5mg", "1日1回 朝食後"), ("酸化マグネシウム錠 330mg", "1日3回 毎食後")]
    ):
        fhir_create(
            session,
            author,
            "MedicationStatement",
            {
                "resourceType": "MedicationStatement",
                "status": "active",
                "subject": {"reference": f"Patient/{PATIENT}"},
                "medicationCodeableConcept": {"text": name},
                "dosage": [{"text": dosage}],
            },
            f"demo-hanako-med-{index}",
        )
    fhir_create(
        session,
        author,
        "CarePlan",
        {
            "resourceType": "CarePlan",
            "status": "active",
            "intent": "plan",
            "title": "在宅療養計画",
            "subject": {"reference": f"Patient/{PATIENT}"},
            "activity": [
                {"detail": {"status": "in-progress", "description": text}}
                for text in (
                    "朝夕の家庭血圧を記録（目標 135/85 未満）",
                    "転倒予防：歩行器を使用、夜間は足元灯",
                    "週2回デイサービスで入浴",
                    "便秘時は主治医に連絡",
                )
            ],
        },
        "demo-hanako-careplan",
    )


def load_demo_care(session: Session) -> int:
    """Returns the number of timeline posts of the demo care receiver."""
    hanako, yoko, nurse, doctor, manager = (
        _user(session, name)
        for name in ("hanako", "yoko", "nurse.sato", "dr.kobayashi", "cm.suzuki")
    )
    if not (hanako and yoko and nurse and doctor and manager):
        return 0
    team = session.exec(
        select(CareTeam).where(CareTeam.patient_id == PATIENT).order_by(col(CareTeam.created_at))
    ).first()
    if team is None:
        return 0
    present = set(
        session.exec(
            select(CareTeamMember.user_id).where(
                CareTeamMember.care_team_id == team.id, col(CareTeamMember.removed_at).is_(None)
            )
        ).all()
    )
    for member in (yoko, doctor):
        if member.id not in present:
            session.add(CareTeamMember(care_team_id=team.id, user_id=member.id, role=member.role))
    session.flush()
    as_nurse = _principal(nurse)
    _fhir_records(session, as_nurse)
    today = utcnow().astimezone(JST).date()
    _today_visit(session, nurse, today)
    if session.get(CareVisit, _id("visit", today - timedelta(days=14))) is None:
        _two_weeks(session, today, as_nurse, _principal(yoko), _principal(manager))
    return len(session.exec(select(CarePost.id).where(CarePost.patient_id == PATIENT)).all())


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), JST)


def _today_visit(session: Session, nurse: User, today: date) -> None:
    visit_id = _id("visit", today)
    if session.get(CareVisit, visit_id) is None:
        session.add(
            CareVisit(
                id=visit_id,
                patient_id=PATIENT,
                nurse_user_id=nurse.id,
                scheduled_start=_at(today, 10),
                scheduled_end=_at(today, 11),
                purpose="バイタル測定・服薬確認・足浴。11:00 からオンライン診療に同席",
            )
        )
        session.flush()


def _two_weeks(
    session: Session, today: date, nurse: Principal, yoko: Principal, manager: Principal
) -> None:
    readings = [(138, 82, 36.5), (131, 78, 36.4), (142, 86, 36.7), (128, 76, 36.5), (134, 80, 36.6)]
    moods = ["穏やか", "少し疲れ気味", "笑顔が多い", "穏やか", "よく話される"]
    for step, days_ago in enumerate((14, 11, 9, 7, 4, 2)):
        day = today - timedelta(days=days_ago)
        visit = CareVisit(
            id=_id("visit", day),
            patient_id=PATIENT,
            nurse_user_id=nurse.subject,
            scheduled_start=_at(day, 10),
            scheduled_end=_at(day, 11),
            purpose="定期訪問",
            status="done",
            closed_at=_at(day, 11, 5),
        )
        session.add(visit)
        session.flush()
        sys_, dia, temp = readings[step % len(readings)]
        visits.record_visit(
            session,
            nurse,
            VisitRecordIn(
                id=_id("record", day),
                visit_id=visit.id,
                recorded_at=_at(day, 10, 50),
                vitals=Vitals(
                    systolic=sys_, diastolic=dia, pulse=70 + step, temperature=temp, spo2=97
                ),
                meals="朝食 8割、昼食予定",
                sleep="夜間トイレで1回覚醒",
                excretion="排便あり（普通便）" if step % 2 else "排便なし 2日目",
                mood=moods[step % len(moods)],
                skin="仙骨部 発赤なし",
                care_given=["服薬確認", "足浴", "下肢筋力訓練"],
                note="歩行器での室内移動は安定しています。",
            ),
            authorized=True,
        )
        visit.record_id = _id("record", day)
        session.add(visit)
    posts: list[tuple[Principal, int, int, PostKind, str, Audience]] = [
        (
            yoko,
            13,
            20,
            PostKind.MESSAGE,
            "いつもありがとうございます。週末に電話してみます。",
            Audience.ALL,
        ),
        (
            manager,
            12,
            15,
            PostKind.SERVICE_USE,
            "デイサービス（入浴）を利用されました。",
            Audience.ALL,
        ),
        (
            manager,
            8,
            9,
            PostKind.MESSAGE,
            "来月のケアプラン見直しで、デイサービスを週2回に増やす予定です。",
            Audience.ALL,
        ),
        (
            nurse,
            6,
            16,
            PostKind.MESSAGE,
            "血圧がやや高めの日があります。主治医に報告済みです。",
            Audience.TEAM,
        ),
        (
            manager,
            5,
            15,
            PostKind.SERVICE_USE,
            "デイサービス（入浴・レクリエーション）",
            Audience.ALL,
        ),
        (
            yoko,
            3,
            21,
            PostKind.MESSAGE,
            "母から「看護師さんが優しい」と聞きました。安心しています。",
            Audience.ALL,
        ),
        (
            nurse,
            1,
            17,
            PostKind.MESSAGE,
            "明日のオンライン診療、タブレットを持って同席します。",
            Audience.ALL,
        ),
    ]
    for author, days_ago, hour, kind, text, audience in posts:
        day = today - timedelta(days=days_ago)
        timeline.add_post(
            session,
            author,
            PATIENT,
            PostIn(
                id=_id("post", days_ago, hour),
                kind=kind,
                text=text,
                audience=audience,
                occurred_at=_at(day, hour),
            ),
            authorized=True,
        )
    session.flush()
