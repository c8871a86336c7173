"""Loads the Hitachi demo data (each feature adds its part) into the configured database."""

import logging
from datetime import UTC, datetime

from sqlmodel import Session

from server.auth.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET, load_demo_accounts
from server.care.demo import load_demo_care
from server.clinic.demo import load_demo_clinic
from server.core.db import create_db_engine
from server.core.models import SystemFact
from server.core.settings import Settings
from server.health.demo import load_demo_diary
from server.mobility.demo import load_demo_fleet
from server.transit.demo import load_demo_feeds

log = logging.getLogger(__name__)

DEMO_VERSION = "1"


def load_demo(settings: Settings) -> None:
    """Idempotent: running it twice leaves the same data."""
    engine = create_db_engine(settings)
    try:
        with Session(engine) as session:
            fact = session.get(SystemFact, "demo_version") or SystemFact(
                key="demo_version", value=""
            )
            fact.value = DEMO_VERSION
            fact.updated_at = datetime.now(UTC)
            session.add(fact)
            session.commit()
        with Session(engine) as session:
            accounts = load_demo_accounts(session, settings)
            session.commit()
            print(
                f"machi: {accounts} demo accounts (hanako, taro, yoko, nurse.sato, dr.kobayashi, "
                f"cm.suzuki, helper.ito, operator, admin); password {DEMO_PASSWORD}, "
                f"staff TOTP secret {DEMO_TOTP_SECRET}",
                flush=True,
            )
        with Session(engine) as session:
            posts = load_demo_care(session)
            slots = load_demo_clinic(session, settings)
            session.commit()
            log.info("demo care: %d timeline posts; clinic: %d open slots", posts, slots)
        with Session(engine) as session:
            entries = load_demo_diary(session)
            session.commit()
            log.info("demo diary: %d FHIR resources", entries)
        with Session(engine) as session:
            vehicles = load_demo_fleet(session)
            session.commit()
            log.info("demo fleet: %d vehicles", vehicles)
        load_demo_feeds(settings, engine)
    finally:
        engine.dispose()
    print(f"machi: demo data version {DEMO_VERSION} loaded", flush=True)
