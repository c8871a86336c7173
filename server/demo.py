"""Loads the Hitachi demo data (each feature adds its part) into the configured database."""

import logging
from datetime import UTC, datetime

from sqlmodel import Session

from server.core.db import create_db_engine
from server.core.models import SystemFact
from server.core.settings import Settings
from server.mobility.demo import load_demo_fleet

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
            vehicles = load_demo_fleet(session)
            session.commit()
            log.info("demo fleet: %d vehicles", vehicles)
    finally:
        engine.dispose()
    print(f"machi: demo data version {DEMO_VERSION} loaded", flush=True)
