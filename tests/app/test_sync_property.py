"""Stateful property test of offline sync: devices and the server under injected faults.

Hypothesis drives three people's devices (a mother, her daughter, a visiting nurse; the
father's data too) through random writes, syncs over a network that drops requests, loses
responses after the server committed, duplicates and holds back requests, server restarts,
consent revocations and re-grants, and conflict resolutions. Then the network heals and
everyone syncs, and:

- no device has a write still pending;
- the server applied every write at most once: each care note's version is exactly 1 + the
  number of applied edits of it, each diary entry exists once, and every write a device
  believes applied is applied on the server;
- every device's cache equals the server's records within the scope it may see now, so no
  device keeps data it lost access to.

CI runs 30 sequences per database (about 20 s on SQLite, 40 s on PostgreSQL);
`MACHI_SYNC_EXAMPLES=2000 make test PYTEST_ARGS=tests/app/test_sync_property.py` runs thousands.
"""

import asyncio
import contextlib
import json
import os
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from sqlalchemy import Engine, text
from sqlmodel import Session

from app.client.sync import DeviceWiped, SyncInterrupted
from server.auth.access import DataCategory, Role, visible_patients
from server.core.settings import Settings
from server.sync import registry

from .test_sync_world import FAULTS, Device, World, new_diary, prepare_database, world_settings  # noqa: TID252

EXAMPLES = int(os.environ.get("MACHI_SYNC_EXAMPLES", "30"))
DEVICES = ("mother_phone", "mother_tablet", "daughter_phone", "nurse_tablet")
CONSENTS = (("mother", "daughter"), ("mother", "nurse"), ("father", "nurse"))


def server_state(engine: Engine, pairs: set[tuple[str, str]]) -> dict[tuple[str, str], Any]:
    """The server's live records within (patient, category) pairs: (version, data)."""
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT collection, record_id, patient_id, category, version, data "
                "FROM sync_change WHERE deleted = false"
            )
        ).all()
    return {
        (row.collection, row.record_id): (row.version, json.loads(row.data))
        for row in rows
        if (row.patient_id, row.category) in pairs
    }


def scope_of(engine: Engine, world: World, device: Device) -> set[tuple[str, str]]:
    principal = world.principals[device.user.id]
    with Session(engine) as session:
        return {
            (patient, category.value)
            for category in {c.category for c in registry.collections()}
            for patient in visible_patients(session, principal, DataCategory(category))
        }


class SyncWorld(RuleBasedStateMachine):
    settings_: Settings
    engine_: Engine
    apps: Any = None

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.world = World(self.settings_, self.engine_, SyncWorld.apps)
        SyncWorld.apps = self.world.apps
        w = self.world
        for name, role in (
            ("mother", Role.RESIDENT),
            ("father", Role.RESIDENT),
            ("daughter", Role.FAMILY),
            ("nurse", Role.NURSE),
        ):
            w.add_user(name, role)
        for device in DEVICES:
            w.add_device(device, w.users[device.split("_")[0]])
        self.resolved: set[str] = set()  # keys a person settled by keeping the server's version

    @initialize(consents=st.lists(st.booleans(), min_size=3, max_size=3))
    def grant_initial_consents(self, consents: list[bool]) -> None:
        for (patient, grantee), on in zip(CONSENTS, consents, strict=True):
            if on:
                self.world.set_consent(patient, grantee, True)

    def _run(self, coroutine: Any) -> Any:
        return self.loop.run_until_complete(coroutine)

    def _patient(self, name: str) -> str:
        return self.world.users[name].patient_id or ""

    # --- writes --------------------------------------------------------------------------

    @rule(
        device=st.sampled_from(DEVICES),
        patient=st.sampled_from(["mother", "father"]),
        value=st.integers(90, 200),
    )
    def write_diary(self, device: str, patient: str, value: int) -> None:
        d = self.world.devices[device]
        entry = d.engine.outbox.write(
            "diary_entries", "create", patient_id=self._patient(patient), data=new_diary(value)
        )
        d.keys.append(entry.idempotency_key)

    @rule(device=st.sampled_from(DEVICES), patient=st.sampled_from(["mother", "father"]))
    def write_note(self, device: str, patient: str) -> None:
        d = self.world.devices[device]
        entry = d.engine.outbox.write(
            "care_notes", "create", patient_id=self._patient(patient), data={"title": "plan"}
        )
        d.keys.append(entry.idempotency_key)

    @rule(device=st.sampled_from(DEVICES), pick=st.integers(0, 50), text_=st.text(max_size=5))
    def edit_note(self, device: str, pick: int, text_: str) -> None:
        d = self.world.devices[device]
        notes = d.cache.records("care_notes")
        if not notes:
            return
        note = notes[pick % len(notes)]
        entry = d.engine.outbox.write(
            "care_notes",
            "update",
            record_id=note.record_id,
            data={"title": "plan", "body": f"{device}:{text_}"},
        )
        d.keys.append(entry.idempotency_key)

    @rule(device=st.sampled_from(["mother_phone", "mother_tablet"]), pick=st.integers(0, 50))
    def withdraw_diary_entry(self, device: str, pick: int) -> None:
        d = self.world.devices[device]
        entries = [
            r
            for r in d.cache.records("diary_entries", self._patient("mother"))
            if r.version is not None
        ]
        if not entries:
            return
        entry = d.engine.outbox.write(
            "diary_entries", "delete", record_id=entries[pick % len(entries)].record_id
        )
        d.keys.append(entry.idempotency_key)

    # --- the network and the server ------------------------------------------------------

    @rule(
        device=st.sampled_from(DEVICES),
        faults=st.lists(st.sampled_from(FAULTS), max_size=4),
    )
    def sync(self, device: str, faults: list[str]) -> None:
        d = self.world.devices[device]
        d.network.faults = list(faults)
        with contextlib.suppress(SyncInterrupted):
            self._run(d.engine.sync())
        d.network.faults = []

    @rule(device=st.sampled_from(DEVICES))
    def late_requests_arrive(self, device: str) -> None:
        self._run(self.world.devices[device].network.release_held())

    @rule()
    def restart_server(self) -> None:
        self.world.restart_server()

    @rule(consent=st.sampled_from(CONSENTS), on=st.booleans())
    def change_consent(self, consent: tuple[str, str], on: bool) -> None:
        patient, grantee = consent
        active = f"{patient}->{grantee}" in self.world.consents
        if on != active:
            self.world.set_consent(patient, grantee, on)

    @precondition(lambda self: any(d.engine.outbox.entries("conflict") for d in self._devices()))
    @rule(keep=st.sampled_from(["mine", "theirs"]))
    def resolve_a_conflict(self, keep: str) -> None:
        for d in self._devices():
            conflicts = d.engine.outbox.entries("conflict")
            if conflicts:
                self._resolve(d, conflicts[0].idempotency_key, keep)
                return

    def _resolve(self, d: Device, key: str, keep: str) -> None:
        again = d.engine.outbox.resolve(key, keep)  # type: ignore[arg-type]
        self.resolved.add(key)
        if again is not None:
            d.keys.append(again.idempotency_key)

    def _devices(self) -> list[Device]:
        return list(self.world.devices.values())

    # --- always true ---------------------------------------------------------------------

    @invariant()
    def pending_count_matches_the_outbox(self) -> None:
        for d in self._devices():
            status = d.engine.status()
            assert status.pending == len(d.engine.outbox.pending())
            assert not status.wiped

    # --- after the network heals ---------------------------------------------------------

    def heal_and_sync(self) -> None:
        for d in self._devices():
            self._run(d.network.release_held())
        for _ in range(20):
            for d in self._devices():
                try:
                    self._run(d.engine.sync())
                except (SyncInterrupted, DeviceWiped) as exc:  # pragma: no cover - a failure
                    raise AssertionError(f"{d.name}: sync failed on a healthy network") from exc
            conflicts = [
                (d, e) for d in self._devices() for e in d.engine.outbox.entries("conflict")
            ]
            if not conflicts:
                break
            for d, entry in conflicts:
                self._resolve(d, entry.idempotency_key, "theirs")
        for d in self._devices():  # one more round, so everyone has everyone's last writes
            self._run(d.engine.sync())

    def check_converged(self) -> None:
        engine = self.engine_
        with engine.connect() as connection:
            answers = {
                (row.subject, row.idempotency_key): row
                for row in connection.execute(
                    text("SELECT subject, idempotency_key, status, answer FROM sync_mutation")
                )
            }
        for d in self._devices():
            assert d.engine.outbox.pending() == [], f"{d.name} still has pending writes"
            held = {e.idempotency_key: e for e in d.engine.outbox.entries()}
            for key in d.keys:
                answer = answers.get((d.user.id, key))
                if key in held:  # kept for a person: rejected or in conflict
                    assert held[key].state in ("rejected", "conflict")
                    if answer is not None:
                        assert answer.status == held[key].state
                    continue
                if key in self.resolved:
                    continue
                # Gone from the outbox: the server must have applied it.
                assert answer is not None, f"{d.name}: write {key} vanished unsent"
                assert answer.status == "applied", f"{d.name}: {key} was {answer.status}"

        # Exactly once: each applied write moved its record's version by exactly one (a
        # second withdrawal of a withdrawn entry is answered with the first one's seq).
        applied: dict[str, set[int]] = {}
        for row in answers.values():
            if row.status == "applied":
                body = json.loads(row.answer)
                applied.setdefault(body["record_id"], set()).add(body["seq"])
        with engine.connect() as connection:
            feed = connection.execute(
                text("SELECT collection, record_id, version, deleted FROM sync_change")
            ).all()
            diary_rows = connection.execute(text("SELECT id, deleted FROM sync_diary_entry")).all()
            note_rows = connection.execute(text("SELECT id, version FROM sync_care_note")).all()
        for row in feed:
            if row.collection in ("care_notes", "diary_entries"):
                assert row.version == len(applied.get(row.record_id, ())), row
        ours = {row.record_id for row in feed if row.collection == "diary_entries"}
        assert ours <= {row.id for row in diary_rows}
        notes = {row.record_id: row.version for row in feed if row.collection == "care_notes"}
        assert notes.items() <= {row.id: row.version for row in note_rows}.items()

        for d in self._devices():
            pairs = scope_of(engine, self.world, d)
            expected = server_state(engine, pairs)
            held_ = {
                key: (record.version, record.data)
                for key, record in d.cache.server_records().items()
            }
            assert held_ == expected, f"{d.name} differs from the server within its scope"
            patients = {patient for patient, _ in pairs}
            for record in d.cache.server_records().values():
                assert record.patient_id in patients

    def teardown(self) -> None:
        try:
            self.heal_and_sync()
            self.check_converged()
        finally:
            self._run(self.world.close())
            self.loop.close()


@pytest.fixture(scope="module")
def sync_database(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Any:
    settings_ = world_settings(tmp_path_factory.mktemp(f"sync-world-{backend}"), backend)
    engine = prepare_database(settings_)
    yield settings_, engine
    engine.dispose()


def test_devices_and_server_converge_under_faults(sync_database: Any) -> None:
    SyncWorld.settings_, SyncWorld.engine_ = sync_database
    SyncWorld.apps = None
    test = SyncWorld.TestCase
    test.settings = settings(
        max_examples=EXAMPLES,
        stateful_step_count=25,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    test().runTest()
