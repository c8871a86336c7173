"""Demo accounts, one per role, and a realistic consent set-up (idempotent).

All demo accounts share the password DEMO_PASSWORD; staff accounts share the TOTP secret
DEMO_TOTP_SECRET (add it to an authenticator app, or `python -c "import pyotp;
print(pyotp.TOTP('<secret>').now())"`). Both are documented in the README: demo only.
"""

from datetime import UTC, datetime

from sqlmodel import Session, select

from server.auth import oauth, users
from server.auth.access import DataCategory, Role
from server.auth.models import CareTeam, CareTeamMember, Consent, User
from server.core.settings import Settings

DEMO_PASSWORD = "machi-demo-2026"
DEMO_TOTP_SECRET = "MACHIDEMOTOTPSECRETFORSTAFFXXXXX"

HANAKO_PATIENT = "demo-hanako"
TARO_PATIENT = "demo-taro"

# username, role, display name, FHIR Patient id
ACCOUNTS: list[tuple[str, Role, str, str | None]] = [
    ("hanako", Role.RESIDENT, "日立 花子 (78, 諏訪台団地)", HANAKO_PATIENT),
    ("taro", Role.RESIDENT, "鮎川 太郎 (48, 通勤)", TARO_PATIENT),
    ("yoko", Role.FAMILY, "日立 洋子 (花子の娘)", None),
    ("nurse.sato", Role.NURSE, "佐藤 看護師 (訪問看護ステーションかみね)", None),
    ("dr.kobayashi", Role.DOCTOR, "小林 医師", None),
    ("cm.suzuki", Role.CARE_MANAGER, "鈴木 ケアマネジャー", None),
    ("helper.ito", Role.HELPER, "伊藤 ヘルパー", None),
    ("operator", Role.OPERATOR, "日立市 交通政策課", None),
    ("admin", Role.ADMIN, "machi 管理者", None),
]
ALL_CATEGORIES = " ".join(sorted(c.value for c in DataCategory))


def _account(session: Session, username: str, role: Role, name: str, patient: str | None) -> User:
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None:
        user = users.create_user(
            session,
            username=username,
            role=role,
            password=DEMO_PASSWORD,
            display_name=name,
            patient_id=patient,
        ).user
        if user.totp_secret:
            user.totp_secret = DEMO_TOTP_SECRET
            session.add(user)
    return user


def load_demo_accounts(session: Session, settings: Settings) -> int:
    """Create the demo accounts and consents if absent; returns how many accounts exist."""
    oauth.ensure_app_client(session, settings)
    made = {u: _account(session, u, r, n, p) for u, r, n, p in ACCOUNTS}
    hanako, yoko, nurse, care_manager = (
        made["hanako"],
        made["yoko"],
        made["nurse.sato"],
        made["cm.suzuki"],
    )
    team = session.exec(select(CareTeam).where(CareTeam.patient_id == HANAKO_PATIENT)).first()
    if team is None:
        team = CareTeam(patient_id=HANAKO_PATIENT, name="訪問看護ステーションかみね チーム")
        session.add(team)
        session.flush()
        for member in (nurse, care_manager):
            session.add(CareTeamMember(care_team_id=team.id, user_id=member.id, role=member.role))
    existing = session.exec(select(Consent).where(Consent.patient_id == HANAKO_PATIENT)).all()
    if not existing:
        start = datetime(2026, 4, 1, tzinfo=UTC)
        session.add(
            Consent(
                patient_id=HANAKO_PATIENT,
                grantor_user_id=hanako.id,
                grantee_user_id=yoko.id,
                relationship="DAU",
                categories=ALL_CATEGORIES,
                proxy=True,
                period_start=start,
            )
        )
        session.add(
            Consent(
                patient_id=HANAKO_PATIENT,
                grantor_user_id=hanako.id,
                grantee_care_team_id=team.id,
                categories=ALL_CATEGORIES,
                period_start=start,
            )
        )
    session.flush()
    return len(made)
