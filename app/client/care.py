"""The ケア tab on the device, by role: the nurse's visits and visit records, the family view,
and the team timeline. Plain Python (no Flet): views/care.py only draws this state.

The visit record goes through the sync outbox (the `visit_records` collection), so it is saved
on the tablet at once, with no signal, and reaches the server exactly once. Today's visits,
each person's summary and the family view are kept in the per-user cache, so the screen opens
with the last known data when there is no connection (and goes with the cache on sign-out).
"""

import json
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from app.client.api import ApiClient, ApiError, instant
from app.client.sync import SyncEngine, SyncInterrupted

COLLECTION = "visit_records"
SNAPSHOT_KEY = "care.snapshot"
NURSE_ROLES = ("nurse", "helper")
TEAM_ROLES = ("doctor", "care_manager")
POST_KINDS = ("visit_record", "vitals", "service_use", "message", "photo")
# What the nurse ticks under 実施したケア; stored in Japanese, the language of the record.
CARE_GIVEN = (
    "服薬確認",
    "足浴",
    "清拭",
    "入浴介助",
    "下肢筋力訓練",
    "排便コントロール",
    "褥瘡処置",
    "点滴管理",
)


@dataclass(frozen=True)
class Receiver:
    """A person whose care the user shares in, and how (self, family, nurse, doctor …)."""

    patient_id: str
    name: str
    my_role: str

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Receiver":
        return cls(patient_id=data["patient_id"], name=data["name"], my_role=data["my_role"])


@dataclass(frozen=True)
class Visit:
    id: str
    patient_id: str
    patient_name: str
    address: str
    scheduled_start: datetime
    scheduled_end: datetime
    sequence: int
    purpose: str
    status: str
    record_id: str | None
    record_received: bool
    closed_at: datetime | None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Visit":
        return cls(
            id=data["id"],
            patient_id=data["patient_id"],
            patient_name=data["patient_name"],
            address=data["address"],
            scheduled_start=instant(data["scheduled_start"]),
            scheduled_end=instant(data["scheduled_end"]),
            sequence=int(data["sequence"]),
            purpose=data["purpose"],
            status=data["status"],
            record_id=data.get("record_id"),
            record_received=bool(data["record_received"]),
            closed_at=instant(data["closed_at"]) if data.get("closed_at") else None,
        )


@dataclass(frozen=True)
class Ack:
    user_id: str
    name: str
    role: str

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Ack":
        return cls(user_id=data["user_id"], name=data["name"], role=data["role"])


@dataclass(frozen=True)
class Post:
    id: str
    patient_id: str
    kind: str
    audience: str
    text: str
    data: dict[str, Any] | None
    author_id: str
    author_name: str
    author_role: str
    occurred_at: datetime
    acks: tuple[Ack, ...]
    acked_by_me: bool

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Post":
        return cls(
            id=data["id"],
            patient_id=data["patient_id"],
            kind=data["kind"],
            audience=data["audience"],
            text=data["text"],
            data=data.get("data"),
            author_id=data["author_id"],
            author_name=data["author_name"],
            author_role=data["author_role"],
            occurred_at=instant(data["occurred_at"]),
            acks=tuple(Ack.from_json(a) for a in data["acks"]),
            acked_by_me=bool(data["acked_by_me"]),
        )


@dataclass(frozen=True)
class VitalPoint:
    code: str  # systolic | diastolic | pulse | temperature | spo2 | weight
    value: float
    unit: str
    at: datetime

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "VitalPoint":
        return cls(
            code=data["code"], value=float(data["value"]), unit=data["unit"], at=instant(data["at"])
        )


def _posts(items: list[dict[str, Any]] | None) -> list[Post] | None:
    return None if items is None else [Post.from_json(p) for p in items]


def _points(items: list[dict[str, Any]] | None) -> list[VitalPoint] | None:
    return None if items is None else [VitalPoint.from_json(p) for p in items]


@dataclass(frozen=True)
class Summary:
    """What the nurse reads before ringing the bell; a None part is hidden by the consent."""

    patient_id: str
    name: str
    birth_date: str | None
    address: str
    recent_vitals: list[VitalPoint] | None
    notes: list[Post] | None
    medications: list[str] | None
    care_plan: list[str] | None
    emergency_contacts: list[dict[str, str]] | None
    hidden: list[str]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Summary":
        return cls(
            patient_id=data["patient_id"],
            name=data["name"],
            birth_date=data.get("birth_date"),
            address=data["address"],
            recent_vitals=_points(data.get("recent_vitals")),
            notes=_posts(data.get("notes")),
            medications=data.get("medications"),
            care_plan=data.get("care_plan"),
            emergency_contacts=data.get("emergency_contacts"),
            hidden=list(data["hidden"]),
        )


@dataclass(frozen=True)
class AppointmentBrief:
    id: str
    start: datetime
    end: datetime
    doctor: str
    clinic: str

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "AppointmentBrief":
        return cls(
            id=data["id"],
            start=instant(data["start"]),
            end=instant(data["end"]),
            doctor=data["doctor"],
            clinic=data["clinic"],
        )


@dataclass(frozen=True)
class FamilyView:
    """The read-only page per relative; a None part is one the person does not share."""

    patient_id: str
    name: str
    latest_visits: list[Post] | None
    vitals_trend: list[VitalPoint] | None
    next_appointments: list[AppointmentBrief] | None
    messages: list[Post] | None
    unread: int
    hidden: list[str]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "FamilyView":
        appointments = data.get("next_appointments")
        return cls(
            patient_id=data["patient_id"],
            name=data["name"],
            latest_visits=_posts(data.get("latest_visits")),
            vitals_trend=_points(data.get("vitals_trend")),
            next_appointments=None
            if appointments is None
            else [AppointmentBrief.from_json(a) for a in appointments],
            messages=_posts(data.get("messages")),
            unread=int(data["unread"]),
            hidden=list(data["hidden"]),
        )


class RecordStatus(StrEnum):
    NONE = "none"  # nothing recorded yet
    PENDING = "pending"  # saved on this device, not confirmed by the server (未送信)
    SENT = "sent"  # the server has it
    REJECTED = "rejected"  # the server refused it (the reason is shown)


# Field name → (lowest, highest, whole number): the server's ranges, checked here first so the
# nurse hears about a typo at the bedside, not hours later as a rejected write.
VITAL_RANGES: dict[str, tuple[float, float, bool]] = {
    "systolic": (40, 300, True),
    "diastolic": (20, 200, True),
    "pulse": (20, 250, True),
    "temperature": (30, 45, False),
    "spo2": (50, 100, True),
    "weight": (10, 300, False),
}
OBSERVATIONS = ("meals", "sleep", "excretion", "mood", "skin")


@dataclass
class VisitDraft:
    """The visit record form as typed (text kept as typed, so redraws never lose it)."""

    systolic: str = ""
    diastolic: str = ""
    pulse: str = ""
    temperature: str = ""
    spo2: str = ""
    weight: str = ""
    meals: str = ""
    sleep: str = ""
    excretion: str = ""
    mood: str = ""
    skin: str = ""
    note: str = ""
    care_given: list[str] = field(default_factory=list)

    def set(self, name: str, value: str) -> None:
        if name not in {f.name for f in fields(self)} or name == "care_given":
            raise ValueError(f"no field {name}")
        setattr(self, name, value)

    def toggle_care(self, item: str, on: bool) -> None:
        if on and item not in self.care_given:
            self.care_given.append(item)
        elif not on and item in self.care_given:
            self.care_given.remove(item)

    def vitals(self) -> tuple[dict[str, float | int], dict[str, str]]:
        """The vital signs as numbers, and the fields that are not (field → error key)."""
        values: dict[str, float | int] = {}
        errors: dict[str, str] = {}
        for name, (low, high, whole) in VITAL_RANGES.items():
            text = unicodedata.normalize("NFKC", getattr(self, name)).strip()
            if not text:
                continue
            try:
                number = float(text)
            except ValueError:
                errors[name] = "care.err_number"
                continue
            if not low <= number <= high:
                errors[name] = "care.err_range"
                continue
            values[name] = round(number) if whole else round(number, 1)
        return values, errors

    def is_empty(self) -> bool:
        return not any(getattr(self, f.name) for f in fields(self))

    def to_data(self, visit_id: str, recorded_at: datetime) -> dict[str, Any]:
        values, errors = self.vitals()
        if errors:
            raise ValueError(f"invalid vitals: {sorted(errors)}")
        return {
            "visit_id": visit_id,
            "recorded_at": recorded_at.isoformat(),
            "vitals": values,
            **{name: getattr(self, name).strip() for name in OBSERVATIONS},
            "care_given": list(self.care_given),
            "note": self.note.strip(),
        }


def _offline(exc: ApiError) -> bool:
    return exc.status is None


@dataclass
class CareState:
    """What the ケア tab shows; every change calls `on_change` so the view redraws."""

    api: ApiClient
    # The signed-in person's sync engine (outbox and cache) and role, as they are now: both
    # change with sign-in and sign-out. A role of None is guessed from the receivers.
    engine: Callable[[], SyncEngine | None] = lambda: None
    whoami: Callable[[], str | None] = lambda: None
    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    on_change: Callable[[], None] = lambda: None
    receivers: list[Receiver] = field(default_factory=list)
    visits: list[Visit] = field(default_factory=list)
    summaries: dict[str, Summary] = field(default_factory=dict)
    family: dict[str, FamilyView] = field(default_factory=dict)
    selected_visit: str | None = None
    recording: bool = False  # the record form of the selected visit is open
    drafts: dict[str, VisitDraft] = field(default_factory=dict)
    draft_errors: dict[str, str] = field(default_factory=dict)
    close_warning: str | None = None  # a visit whose closing waits for the nurse's decision
    close_reason: str = ""
    selected_patient: str | None = None
    timeline: list[Post] = field(default_factory=list)
    kinds: set[str] = field(default_factory=set)  # timeline filter; empty: every kind
    message: str = ""  # the message being typed
    owner: str | None = None  # whose data this is (the signed-in user's id)
    loaded: bool = False
    busy: bool = False
    from_cache: bool = False  # the server was unreachable: showing the last known data
    error: str | None = None  # an i18n key
    error_detail: str | None = None
    notice: str | None = None  # an i18n key
    watching: SyncEngine | None = None  # the engine whose changes redraw this screen
    _sync_seen: tuple[int, int] = (0, 0)

    # --- who is looking --------------------------------------------------------------------

    @property
    def sync(self) -> SyncEngine | None:
        return self.engine()

    @property
    def role(self) -> str | None:
        return self.whoami()

    def reset(self) -> None:
        """Forget everything shown (another person signed in, or nobody)."""
        fresh = CareState(self.api, self.engine, self.whoami, self.now, self.on_change)
        for name in (f.name for f in fields(self)):
            if name not in ("api", "engine", "whoami", "now", "on_change"):
                setattr(self, name, getattr(fresh, name))

    def sync_changed(self) -> None:
        """The sync engine moved: redraw when a visit record's state may have changed, but
        never while the nurse is typing (a redraw would take the keyboard away)."""
        engine = self.sync
        if engine is None or self.mode != "nurse":
            return
        seen = (engine.outbox.pending_count(), len(engine.cache.records(COLLECTION)))
        if seen == self._sync_seen:
            return
        self._sync_seen = seen
        if self.notice == "care.saved" and seen[0] == 0:
            self.notice = "care.sent"  # 「端末に保存しました」 is no longer the whole truth
        if not self.recording and self.close_warning is None:
            self._changed()

    @property
    def mode(self) -> str:
        """nurse | family | team (care manager, doctor, or the person themself)."""
        role = self.role
        if role is None:
            roles = {r.my_role for r in self.receivers}
            role = next((r for r in (*NURSE_ROLES, "family") if r in roles), "team")
        if role in NURSE_ROLES:
            return "nurse"
        if role == "family":
            return "family"
        return "team"

    def _changed(self) -> None:
        self.on_change()

    def _fail(self, key: str, exc: ApiError | None = None) -> None:
        self.error = key
        self.error_detail = None if exc is None or _offline(exc) else exc.message

    def clear_messages(self) -> None:
        self.error = self.error_detail = self.notice = None

    # --- the snapshot kept for no signal ---------------------------------------------------

    def _snapshot(self) -> dict[str, Any]:
        if self.sync is None:
            return {}
        raw = self.sync.cache.meta(SNAPSHOT_KEY)
        try:
            return dict(json.loads(raw)) if raw else {}
        except ValueError:
            return {}

    def _keep(self, **parts: Any) -> None:
        if self.sync is None:
            return
        snapshot = {**self._snapshot(), **parts}
        with self.sync.cache.transaction() as db:
            self.sync.cache.set_meta(db, SNAPSHOT_KEY, json.dumps(snapshot, ensure_ascii=False))

    def _restore(self) -> bool:
        snapshot = self._snapshot()
        if not snapshot:
            return False
        self.receivers = [Receiver.from_json(r) for r in snapshot.get("receivers", [])]
        self.visits = [Visit.from_json(v) for v in snapshot.get("visits", [])]
        self.summaries = {k: Summary.from_json(v) for k, v in snapshot.get("summaries", {}).items()}
        self.family = {k: FamilyView.from_json(v) for k, v in snapshot.get("family", {}).items()}
        return True

    # --- loading ---------------------------------------------------------------------------

    async def load(self) -> None:
        """Fetch what this role's screen shows; with no connection, show the last known data."""
        self.busy = True
        self._changed()
        try:
            receivers = await self.api.request("GET", "/api/v1/care/receivers")
            self.receivers = [Receiver.from_json(r) for r in receivers]
            if self.mode == "nurse":
                await self._load_nurse()
            elif self.mode == "family":
                await self._load_family()
            else:
                await self._load_team()
            self.from_cache = False
            self.error = None
        except ApiError as exc:
            if _offline(exc) and self._restore():
                self.from_cache = True
                self.error = None
            else:
                self._fail("care.err_offline" if _offline(exc) else "care.err_server", exc)
        self.loaded = True
        self.busy = False
        self._changed()

    async def _load_nurse(self) -> None:
        visits = await self.api.request("GET", "/api/v1/care/visits")
        self.visits = [Visit.from_json(v) for v in visits]
        raw: dict[str, Any] = {}
        # Prefetch every patient of the day: the homes often have no signal.
        for patient_id in dict.fromkeys(v.patient_id for v in self.visits):
            raw[patient_id] = await self.api.request("GET", f"/api/v1/care/{patient_id}/summary")
        self.summaries = {k: Summary.from_json(v) for k, v in raw.items()}
        self._keep(receivers=[_receiver_json(r) for r in self.receivers], visits=visits)
        self._keep(summaries=raw)

    async def _load_family(self) -> None:
        raw: dict[str, Any] = {}
        for receiver in self.receivers:
            if receiver.my_role == "family":
                raw[receiver.patient_id] = await self.api.request(
                    "GET", f"/api/v1/care/{receiver.patient_id}/family"
                )
        self.family = {k: FamilyView.from_json(v) for k, v in raw.items()}
        self._keep(receivers=[_receiver_json(r) for r in self.receivers], family=raw)

    async def _load_team(self) -> None:
        if self.selected_patient not in {r.patient_id for r in self.receivers}:
            self.selected_patient = self.receivers[0].patient_id if self.receivers else None
        await self._load_timeline()

    async def _load_timeline(self) -> None:
        if self.selected_patient is None:
            self.timeline = []
            return
        params: dict[str, Any] = {"limit": 50}
        if self.kinds:
            params["kind"] = sorted(self.kinds)
        posts = await self.api.request(
            "GET", f"/api/v1/care/{self.selected_patient}/timeline", params=params
        )
        self.timeline = [Post.from_json(p) for p in posts]

    # --- the nurse: visits and the visit record --------------------------------------------

    def visit(self, visit_id: str) -> Visit | None:
        return next((v for v in self.visits if v.id == visit_id), None)

    def open_visit(self, visit_id: str | None) -> None:
        self.selected_visit = visit_id
        self.recording = False
        self.close_warning = None
        self.draft_errors = {}
        self.clear_messages()
        self._changed()

    def start_record(self) -> None:
        if self.selected_visit is None:
            return
        self.drafts.setdefault(self.selected_visit, VisitDraft())
        self.recording = True
        self.draft_errors = {}
        self._changed()

    def cancel_record(self) -> None:
        self.recording = False
        self._changed()

    def draft(self, visit_id: str) -> VisitDraft:
        return self.drafts.setdefault(visit_id, VisitDraft())

    def _records_for(self, visit_id: str) -> list[Any]:
        if self.sync is None:
            return []
        return [
            r
            for r in self.sync.cache.records(COLLECTION)
            if (r.data or {}).get("visit_id") == visit_id
        ]

    def record_status(self, visit_id: str) -> RecordStatus:
        records = self._records_for(visit_id)
        if any(r.pending for r in records):
            return RecordStatus.PENDING
        visit = self.visit(visit_id)
        if records or (visit is not None and visit.record_received):
            return RecordStatus.SENT
        if self.rejection(visit_id) is not None:
            return RecordStatus.REJECTED
        return RecordStatus.NONE

    def rejection(self, visit_id: str) -> str | None:
        """Why the server refused this visit's record, if it did."""
        if self.sync is None:
            return None
        for entry in self.sync.outbox.entries("rejected"):
            if entry.collection == COLLECTION and (entry.data or {}).get("visit_id") == visit_id:
                return entry.reason or ""
        return None

    async def move_visit(self, visit_id: str, step: int) -> None:
        """The nurse's own order of the day (one place up or down); needs the network."""
        order = [v.id for v in self.visits]
        if visit_id not in order:
            return
        at = order.index(visit_id)
        to = max(0, min(len(order) - 1, at + step))
        if to == at:
            return
        order.insert(to, order.pop(at))
        try:
            await self.api.request("PUT", "/api/v1/care/visits/order", json={"visit_ids": order})
        except ApiError as exc:
            self._fail("care.err_offline" if _offline(exc) else "care.err_server", exc)
            self._changed()
            return
        by_id = {v.id: v for v in self.visits}
        self.visits = [by_id[i] for i in order]
        self._keep(visits=[_visit_json(v) for v in self.visits])
        self.error = None
        self._changed()

    def pending_count(self) -> int:
        return 0 if self.sync is None else self.sync.outbox.pending_count()

    async def save_record(self) -> bool:
        """Save the record in the outbox (works with no signal) and ask for a sync."""
        visit = self.visit(self.selected_visit or "")
        if visit is None:
            return False
        if self.sync is None:
            self._fail("care.err_signin")
            self._changed()
            return False
        draft = self.draft(visit.id)
        _, errors = draft.vitals()
        self.draft_errors = errors
        if errors:
            self._fail("care.err_form")
            self._changed()
            return False
        if draft.is_empty():
            self._fail("care.err_empty")
            self._changed()
            return False
        self.sync.outbox.write(
            COLLECTION,
            "create",
            patient_id=visit.patient_id,
            data=draft.to_data(visit.id, self.now()),
        )
        self.drafts.pop(visit.id, None)
        self.recording = False
        self.clear_messages()
        self.notice = "care.saved"
        self.sync.kick()
        self._changed()
        return True

    async def sync_now(self) -> bool:
        """Send what waits in the outbox now; True when nothing is left unsent."""
        if self.sync is None:
            return False
        try:
            await self.sync.sync()
        except SyncInterrupted:
            self._fail("care.err_offline")
            self._changed()
            return False
        try:
            visits = await self.api.request("GET", "/api/v1/care/visits")
            self.visits = [Visit.from_json(v) for v in visits]
            self._keep(visits=visits)
        except ApiError:
            pass  # the list refreshes on the next load; the sync itself went through
        self._changed()
        return self.sync.outbox.pending_count() == 0

    async def request_close(self, visit_id: str) -> None:
        """「訪問を完了」: straight away when the record has reached the server; otherwise
        stop and warn (the record is unsent, or there is none)."""
        status = self.record_status(visit_id)
        if status is not RecordStatus.SENT:
            self.close_warning = visit_id
            self.close_reason = ""
            self._changed()
            return
        await self._close(visit_id, without_record=False)

    async def send_then_close(self, visit_id: str) -> None:
        if await self.sync_now() and self.record_status(visit_id) is RecordStatus.SENT:
            await self._close(visit_id, without_record=False)

    async def close_anyway(self, visit_id: str) -> None:
        """Done without the record on the server: only with a reason the nurse typed."""
        if not self.close_reason.strip():
            self._fail("care.err_reason")
            self._changed()
            return
        await self._close(visit_id, without_record=True)

    def keep_open(self) -> None:
        self.close_warning = None
        self._changed()

    async def _close(self, visit_id: str, *, without_record: bool) -> None:
        try:
            answer = await self.api.request(
                "POST",
                f"/api/v1/care/visits/{visit_id}/close",
                json={"without_record": without_record, "reason": self.close_reason.strip()},
            )
        except ApiError as exc:
            if exc.status == 409:
                self.close_warning = visit_id  # the server has no record yet after all
            self._fail("care.err_close_offline" if _offline(exc) else "care.err_server", exc)
            self._changed()
            return
        closed = Visit.from_json(answer)
        self.visits = [closed if v.id == visit_id else v for v in self.visits]
        self.close_warning = None
        self.clear_messages()
        self.notice = "care.closed"
        self._changed()

    # --- the team timeline -----------------------------------------------------------------

    async def select_patient(self, patient_id: str) -> None:
        self.selected_patient = patient_id
        await self._refresh_timeline()

    async def toggle_kind(self, kind: str) -> None:
        if kind not in POST_KINDS:
            raise ValueError(kind)
        self.kinds ^= {kind}
        await self._refresh_timeline()

    async def show_all_kinds(self) -> None:
        self.kinds = set()
        await self._refresh_timeline()

    async def _refresh_timeline(self) -> None:
        try:
            await self._load_timeline()
            self.error = None
        except ApiError as exc:
            self._fail("care.err_offline" if _offline(exc) else "care.err_server", exc)
        self._changed()

    async def post_message(self) -> bool:
        """A message to the whole team and the family (needs the network; the id made here
        makes a retry harmless)."""
        text = self.message.strip()
        if not text or self.selected_patient is None:
            return False
        try:
            await self.api.request(
                "POST",
                f"/api/v1/care/{self.selected_patient}/posts",
                json={"id": uuid.uuid4().hex, "kind": "message", "text": text},
            )
            await self._load_timeline()
        except ApiError as exc:
            self._fail("care.err_offline" if _offline(exc) else "care.err_server", exc)
            self._changed()
            return False
        self.message = ""
        self.clear_messages()
        self.notice = "care.posted"
        self._changed()
        return True

    # --- 確認しました -------------------------------------------------------------------------

    async def acknowledge(self, post_id: str) -> None:
        try:
            answer = await self.api.request("POST", f"/api/v1/care/posts/{post_id}/ack")
        except ApiError as exc:
            self._fail("care.err_offline" if _offline(exc) else "care.err_server", exc)
            self._changed()
            return
        acked = Post.from_json(answer)
        self.timeline = [acked if p.id == post_id else p for p in self.timeline]
        for patient_id, view in list(self.family.items()):
            latest = [acked if p.id == post_id else p for p in view.latest_visits or []]
            messages = [acked if p.id == post_id else p for p in view.messages or []]
            if view.latest_visits is not None or view.messages is not None:
                self.family[patient_id] = FamilyView(
                    patient_id=view.patient_id,
                    name=view.name,
                    latest_visits=latest if view.latest_visits is not None else None,
                    vitals_trend=view.vitals_trend,
                    next_appointments=view.next_appointments,
                    messages=messages if view.messages is not None else None,
                    unread=sum(1 for p in [*latest, *messages] if not p.acked_by_me),
                    hidden=view.hidden,
                )
        self.clear_messages()
        self._changed()


def _visit_json(visit: Visit) -> dict[str, Any]:
    """A visit as the server sends it (for the snapshot kept for no signal)."""
    return {
        "id": visit.id,
        "patient_id": visit.patient_id,
        "patient_name": visit.patient_name,
        "address": visit.address,
        "scheduled_start": visit.scheduled_start.isoformat(),
        "scheduled_end": visit.scheduled_end.isoformat(),
        "sequence": visit.sequence,
        "purpose": visit.purpose,
        "status": visit.status,
        "record_id": visit.record_id,
        "record_received": visit.record_received,
        "closed_at": visit.closed_at.isoformat() if visit.closed_at else None,
    }


def _receiver_json(receiver: Receiver) -> dict[str, str]:
    return {"patient_id": receiver.patient_id, "name": receiver.name, "my_role": receiver.my_role}


def vital_series(points: list[VitalPoint], code: str) -> list[VitalPoint]:
    """One vital sign's readings, oldest first (for the trend)."""
    return sorted((p for p in points if p.code == code), key=lambda p: p.at)
