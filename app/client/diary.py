"""The 健康日記 (health diary) on the device: quick entries, today's list, trends, the checkup
and the doctor's report, in plain Python (the view in views/diary.py only draws this state).

Online, an entry goes straight to the diary API (/api/v1/diary), which stores it as a FHIR
Observation. With no connection it is written to the sync outbox as a `diary_entries` record
(the sync protocol sends it exactly once, by its idempotency key) and shows at once in
today's list, marked 未送信 until the server has confirmed it.
"""

import contextlib
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from app.client.api import ApiClient, ApiError
from app.client.sync import SyncEngine

LOCAL_TZ = ZoneInfo("Asia/Tokyo")
COLLECTION = "diary_entries"
DIARY = "/api/v1/diary"

Timing = Literal["morning", "evening", "other"]
TIMINGS: tuple[Timing, ...] = ("morning", "evening", "other")

# The measures the quick-entry row offers, in the order shown (blood pressure has its own card).
QUICK_MEASURES = ("weight", "temperature", "spo2", "glucose", "steps", "note", "medication")
# Measures with a trend chart.
TREND_MEASURES = ("blood_pressure", "pulse", "weight", "temperature", "spo2", "glucose", "steps")
TREND_DAYS = (7, 30, 90)
REPORT_DAYS = (7, 30)

UNITS = {
    "blood_pressure": "mm[Hg]",
    "pulse": "/min",
    "weight": "kg",
    "temperature": "Cel",
    "spo2": "%",
    "glucose": "mg/dL",
    "steps": "{steps}",
}
# What people read instead of UCUM codes.
UNIT_LABELS = {"mm[Hg]": "mmHg", "/min": "/分", "Cel": "℃", "{steps}": "歩"}
UNIT_LABELS_EN = {"mm[Hg]": "mmHg", "/min": "/min", "Cel": "°C", "{steps}": "steps"}

# Plausible ranges, checked before anything is sent or queued (the server checks them again).
LIMITS = {
    "systolic": (50.0, 300.0),
    "diastolic": (20.0, 200.0),
    "pulse": (20.0, 250.0),
    "weight": (2.0, 400.0),
    "temperature": (30.0, 45.0),
    "spo2": (50.0, 100.0),
    "glucose": (10.0, 1000.0),
    "steps": (0.0, 200000.0),
}

# The measure ↔ `diary_entries` kind of the sync collection. Glucose and medication have no
# kind there (yet), so they need a connection.
SYNC_KINDS = {
    "pulse": "heart_rate",
    "weight": "weight",
    "temperature": "temperature",
    "spo2": "spo2",
    "steps": "steps",
    "note": "mood",
}
MEASURE_OF_KIND = {kind: measure for measure, kind in SYNC_KINDS.items()}

# Colour bands for entries queued on the device (the server sends its own for the rest).
# Home blood pressure (JSH 2019): ≥135/85 high, 125–134 / 75–84 elevated.
HIGH, ELEVATED, NORMAL = "high", "elevated", "normal"
_LOCAL_BANDS: dict[str, tuple[tuple[str, float | None, float | None], ...]] = {
    "pulse": (("low", None, 50), ("normal", 50, 101), ("high", 101, None)),
    "temperature": (("low", None, 35.5), ("normal", 35.5, 37.5), ("fever", 37.5, None)),
    "spo2": (("low", None, 90), ("caution", 90, 96), ("normal", 96, None)),
    "glucose": (("normal", None, 110), ("borderline", 110, 126), ("high", 126, None)),
    "steps": (("low", None, 4000), ("fair", 4000, 8000), ("good", 8000, None)),
}
BAND_COLOURS = {
    "normal": "#2E7D32",
    "good": "#2E7D32",
    "elevated": "#F9A825",
    "borderline": "#F9A825",
    "caution": "#F9A825",
    "fair": "#1565C0",
    "low": "#1565C0",
    "high": "#C62828",
    "fever": "#C62828",
}


def blood_pressure_band(systolic: float, diastolic: float) -> str:
    """The worse of the two numbers: 128/88 is high because of the 88."""
    order = (NORMAL, ELEVATED, HIGH)
    first = HIGH if systolic >= 135 else ELEVATED if systolic >= 125 else NORMAL
    second = HIGH if diastolic >= 85 else ELEVATED if diastolic >= 75 else NORMAL
    return max(first, second, key=order.index)


def band_of(measure: str, value: float) -> str | None:
    for key, low, high in _LOCAL_BANDS.get(measure, ()):
        if (low is None or value >= low) and (high is None or value < high):
            return key
    return None


def default_timing(moment: datetime) -> Timing:
    """Morning 4–12 h, evening from 17 h (and the small hours), otherwise neither."""
    if 4 <= moment.hour < 12:
        return "morning"
    if moment.hour >= 17 or moment.hour < 4:
        return "evening"
    return "other"


def parse_number(text: str) -> float | None:
    """ "１２８" / "128" / "36,5" → a number; None when it is not one."""
    cleaned = unicodedata.normalize("NFKC", text).strip().replace(",", ".")
    if not cleaned:
        return None
    try:
        return float(cleaned)
    except ValueError:
        return None


def unit_label(unit: str | None, language: str) -> str:
    if not unit:
        return ""
    labels = UNIT_LABELS if language == "ja" else UNIT_LABELS_EN
    return labels.get(unit, unit)


def _parse_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LOCAL_TZ)
    return moment.astimezone(LOCAL_TZ)


@dataclass(frozen=True)
class Entry:
    """One line of the diary as the screen shows it."""

    id: str
    measure: str  # a trend measure, "note" or "medication"
    taken_at: datetime
    value: float | None = None
    value2: float | None = None  # the diastolic of a blood pressure
    pulse: float | None = None  # the pulse taken with a blood pressure (queued entries)
    unit: str | None = None
    timing: str | None = None
    band: str | None = None
    colour: str | None = None
    text: str | None = None
    pending: bool = False  # queued on this device; the server has not confirmed it yet

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Entry":
        return cls(
            id=str(data["id"]),
            measure=str(data["measure"]),
            taken_at=_parse_time(str(data["taken_at"])),
            value=data.get("value"),
            value2=data.get("value2"),
            unit=data.get("unit"),
            timing=data.get("timing"),
            band=data.get("band"),
            colour=data.get("colour"),
            text=data.get("text"),
        )


@dataclass(frozen=True)
class Band:
    key: str
    label_ja: str
    label_en: str
    colour: str
    low: float | None
    high: float | None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Band":
        return cls(
            key=str(data["key"]),
            label_ja=str(data["label_ja"]),
            label_en=str(data["label_en"]),
            colour=str(data["colour"]),
            low=data.get("low"),
            high=data.get("high"),
        )


@dataclass(frozen=True)
class TrendPoint:
    taken_at: datetime
    value: float
    value2: float | None = None
    band: str | None = None
    pending: bool = False


@dataclass(frozen=True)
class Trend:
    measure: str
    unit: str | None
    days: int
    bands: list[Band]
    bands2: list[Band]
    points: list[TrendPoint]
    average: float | None
    average2: float | None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Trend":
        return cls(
            measure=str(data["measure"]),
            unit=data.get("unit"),
            days=int(data["days"]),
            bands=[Band.from_json(b) for b in data.get("bands", [])],
            bands2=[Band.from_json(b) for b in data.get("bands2", [])],
            points=[
                TrendPoint(
                    taken_at=_parse_time(str(p["taken_at"])),
                    value=float(p["value"]),
                    value2=p.get("value2"),
                    band=p.get("band"),
                )
                for p in data.get("points", [])
            ],
            average=data.get("average"),
            average2=data.get("average2"),
        )


@dataclass(frozen=True)
class Checkup:
    checked_on: date
    level: str  # 積極的支援 / 動機付け支援 / なし… as the server names it
    reasons: list[str]
    note: str
    items: dict[str, float]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Checkup":
        return cls(
            checked_on=date.fromisoformat(str(data["checked_on"])),
            level=str(data["level"]),
            reasons=[str(r) for r in data.get("reasons", [])],
            note=str(data.get("note", "")),
            items={k: float(v) for k, v in data.get("items", {}).items()},
        )


@dataclass(frozen=True)
class Report:
    """The doctor's report as a file, ready to share or save."""

    name: str
    mime_type: str
    content: bytes


@dataclass
class DiaryState:
    """What the 健康日記 screen shows; every change calls `on_change` so the view redraws.

    `sync` is the signed-in device's sync engine and `patient_id` the person's own Patient
    id: without them an entry cannot be queued, so it needs a connection.
    """

    api: ApiClient
    sync: SyncEngine | None = None
    patient_id: str | None = None
    now: Callable[[], datetime] = field(default=lambda: datetime.now(LOCAL_TZ))
    # True when the app already knows it has no connection: queue at once, don't wait for
    # a timeout first.
    known_offline: Callable[[], bool] = field(default=lambda: False)
    typed: dict[str, str] = field(default_factory=dict)  # text in the number fields
    timing: Timing | None = None  # None: from the clock
    quick: str = "weight"
    mood: int | None = None
    entries: list[Entry] = field(default_factory=list)  # today's, as the server has them
    trend_measure: str = "blood_pressure"
    trend_days: int = 30
    trend: Trend | None = None
    checkup: Checkup | None = None
    checkup_loaded: bool = False
    loaded: bool = False
    busy: bool = False
    error: str | None = None  # an i18n key ("diary.error.…") or the server's words
    saved: str | None = None  # i18n key of the last confirmation ("diary.saved" / ".queued")
    saved_count: int = 0  # entries saved in this session (the view renews its fields)
    on_change: Callable[[], None] = lambda: None

    def _changed(self) -> None:
        self.on_change()

    # --- what the screen reads -----------------------------------------------------------

    def current_timing(self) -> Timing:
        return self.timing or default_timing(self.now())

    def pending_count(self) -> int:
        return self.sync.outbox.pending_count() if self.sync else 0

    def _queued(self) -> list[Entry]:
        """Entries this device wrote through the outbox (pending or confirmed), as entries:
        the three records of one blood pressure reading (same time) become one line."""
        if self.sync is None:
            return []
        records = self.sync.cache.records(COLLECTION, self.patient_id)
        pressure: dict[str, dict[str, Any]] = {}
        out: list[Entry] = []
        for record in records:
            data = record.data
            kind = str(data.get("kind", ""))
            at = str(data.get("recorded_at", ""))
            if not at:
                continue
            if kind in ("systolic", "diastolic") or (
                kind == "heart_rate" and data.get("note") == "blood_pressure"
            ):
                group = pressure.setdefault(at, {"ids": [], "pending": False})
                group[kind] = data.get("value")
                group["ids"].append(record.record_id)
                group["pending"] = group["pending"] or record.pending
                continue
            measure = MEASURE_OF_KIND.get(kind)
            if measure is None:
                continue
            value = data.get("value")
            band = band_of(measure, float(value)) if value is not None else None
            out.append(
                Entry(
                    id=record.record_id,
                    measure=measure,
                    taken_at=_parse_time(at),
                    value=value,
                    unit=UNITS.get(measure),
                    band=band,
                    colour=BAND_COLOURS.get(band or ""),
                    text=str(data.get("note") or "") or None,
                    pending=record.pending,
                )
            )
        for at, group in pressure.items():
            systolic, diastolic = group.get("systolic"), group.get("diastolic")
            if systolic is None or diastolic is None:
                continue
            band = blood_pressure_band(float(systolic), float(diastolic))
            taken_at = _parse_time(at)
            out.append(
                Entry(
                    id=min(group["ids"]),
                    measure="blood_pressure",
                    taken_at=taken_at,
                    value=systolic,
                    value2=diastolic,
                    pulse=group.get("heart_rate"),
                    unit=UNITS["blood_pressure"],
                    timing=default_timing(taken_at),
                    band=band,
                    colour=BAND_COLOURS[band],
                    pending=bool(group["pending"]),
                )
            )
        return out

    def today(self) -> list[Entry]:
        """Today's entries, oldest first: the server's, and those queued on this device."""
        day = self.now().astimezone(LOCAL_TZ).date()
        known = {e.id for e in self.entries}
        queued = [e for e in self._queued() if e.taken_at.date() == day and e.id not in known]
        entries = [*self.entries, *queued]
        # The pulse taken with a blood pressure (same moment) goes on the same line.
        pulses = {e.taken_at: e for e in entries if e.measure == "pulse" and e.value is not None}
        merged: list[Entry] = []
        folded: set[str] = set()
        for entry in entries:
            pulse = pulses.get(entry.taken_at)
            if entry.measure == "blood_pressure" and entry.pulse is None and pulse is not None:
                entry = replace(entry, pulse=pulse.value)
                folded.add(pulse.id)
            merged.append(entry)
        merged = [e for e in merged if e.id not in folded]
        return sorted(merged, key=lambda e: e.taken_at)

    def trend_points(self) -> list[TrendPoint]:
        """The chart's points: the server's trend plus this device's queued entries."""
        points = list(self.trend.points) if self.trend else []
        start = self.now().astimezone(LOCAL_TZ).date() - timedelta(days=self.trend_days - 1)
        for entry in self._queued():
            if (
                entry.measure == self.trend_measure
                and entry.value is not None
                and entry.taken_at.date() >= start
            ):
                points.append(
                    TrendPoint(
                        entry.taken_at,
                        float(entry.value),
                        entry.value2,
                        entry.band,
                        pending=entry.pending,
                    )
                )
        return sorted(points, key=lambda p: p.taken_at)

    # --- loading -------------------------------------------------------------------------

    async def refresh(self) -> None:
        """Today's entries, the chosen trend and the latest checkup from the server."""
        self.busy = True
        self._changed()
        try:
            data = await self.api.request("GET", f"{DIARY}/entries")
            self.entries = [Entry.from_json(e) for e in data]
            await self._load_trend()
            checkup = await self.api.request("GET", f"{DIARY}/checkups/latest")
            self.checkup = Checkup.from_json(checkup) if checkup else None
            self.checkup_loaded = True
            self.error = None
        except ApiError as exc:
            self.error = "diary.error.offline" if exc.status is None else exc.message
        self.loaded = True
        self.busy = False
        self._changed()

    async def _load_trend(self) -> None:
        data = await self.api.request(
            "GET", f"{DIARY}/trends/{self.trend_measure}", params={"days": self.trend_days}
        )
        self.trend = Trend.from_json(data)

    async def show_trend(self, measure: str | None = None, days: int | None = None) -> None:
        if measure is not None:
            if measure not in TREND_MEASURES:
                raise ValueError(f"no trend for {measure!r}")
            self.trend_measure = measure
        if days is not None:
            self.trend_days = days
        if self.trend and self.trend.measure != self.trend_measure:
            self.trend = None
        self._changed()
        try:
            await self._load_trend()
        except ApiError as exc:
            self.error = "diary.error.offline" if exc.status is None else exc.message
        self._changed()

    # --- entering ------------------------------------------------------------------------

    def _number(self, name: str, required: bool = True) -> float | None:
        """The typed number in field `name`, checked against its range; sets `error`."""
        value = parse_number(self.typed.get(name, ""))
        if value is None:
            if required or self.typed.get(name, "").strip():
                self.error = f"diary.error.{name}"
                return None
            return None
        low, high = LIMITS[name]
        if not low <= value <= high:
            self.error = f"diary.error.{name}"
            return None
        return value

    async def record_blood_pressure(self) -> bool:
        """The 「記録する」 button: the typed numbers, morning/evening from the clock."""
        self.error = self.saved = None
        systolic = self._number("systolic")
        diastolic = self._number("diastolic") if systolic is not None else None
        pulse = self._number("pulse", required=False) if diastolic is not None else None
        if systolic is None or diastolic is None or self.error:
            self._changed()
            return False
        if diastolic >= systolic:
            self.error = "diary.error.order"
            self._changed()
            return False
        taken_at = self.now().astimezone(LOCAL_TZ).replace(microsecond=0)
        body: dict[str, Any] = {
            "systolic": int(systolic),
            "diastolic": int(diastolic),
            "taken_at": taken_at.isoformat(),
            "timing": self.current_timing(),
        }
        if pulse is not None:
            body["pulse"] = int(pulse)
        records = [
            {"kind": "systolic", "value": int(systolic), "unit": "mm[Hg]"},
            {"kind": "diastolic", "value": int(diastolic), "unit": "mm[Hg]"},
        ]
        if pulse is not None:
            records.append(
                {
                    "kind": "heart_rate",
                    "value": int(pulse),
                    "unit": "/min",
                    "note": "blood_pressure",
                }
            )
        done = await self._write("blood-pressure", body, records, taken_at)
        if done:
            for name in ("systolic", "diastolic", "pulse"):
                self.typed.pop(name, None)
            self.timing = None
        return done

    async def record_measurement(self, measure: str) -> bool:
        """A quick entry of weight, temperature, SpO2, glucose or steps."""
        self.error = self.saved = None
        value = self._number(measure)
        if value is None:
            self._changed()
            return False
        taken_at = self.now().astimezone(LOCAL_TZ).replace(microsecond=0)
        body = {"measure": measure, "value": value, "taken_at": taken_at.isoformat()}
        kind = SYNC_KINDS.get(measure)
        records = (
            [{"kind": kind, "value": value, "unit": UNITS[measure]}] if kind is not None else None
        )
        done = await self._write("measurements", body, records, taken_at)
        if done:
            self.typed.pop(measure, None)
        return done

    async def record_note(self) -> bool:
        """Mood (1 bad – 5 good) and symptoms or a few words."""
        self.error = self.saved = None
        text = self.typed.get("note", "").strip()
        if self.mood is None and not text:
            self.error = "diary.error.note"
            self._changed()
            return False
        taken_at = self.now().astimezone(LOCAL_TZ).replace(microsecond=0)
        body: dict[str, Any] = {"mood": self.mood, "text": text, "taken_at": taken_at.isoformat()}
        record: dict[str, Any] = {"kind": "mood", "value": self.mood, "note": text}
        done = await self._write("notes", body, [record], taken_at)
        if done:
            self.typed.pop("note", None)
            self.mood = None
        return done

    async def record_medication(self, taken: bool) -> bool:
        """The medication log: the typed medicine, taken or not taken."""
        self.error = self.saved = None
        name = self.typed.get("medication", "").strip()
        if not name:
            self.error = "diary.error.medication"
            self._changed()
            return False
        taken_at = self.now().astimezone(LOCAL_TZ).replace(microsecond=0)
        body = {"name": name, "taken": taken, "taken_at": taken_at.isoformat()}
        return await self._write("medications", body, None, taken_at)

    async def _write(
        self,
        path: str,
        body: dict[str, Any],
        records: list[dict[str, Any]] | None,
        taken_at: datetime,
    ) -> bool:
        """Send now; with no connection, queue through the outbox (if the entry can be)."""
        self.busy = True
        self._changed()
        try:
            if self.known_offline():
                raise ApiError("offline")
            data = await self.api.request("POST", f"{DIARY}/{path}", json=body)
        except ApiError as exc:
            if exc.status is not None:
                self.error = exc.message  # the server refused it: say why, keep the numbers
            elif records is None or self.sync is None or not self.patient_id:
                self.error = "diary.error.needs_connection"
            else:
                self._queue(records, taken_at)
                self.saved = "diary.queued"
        else:
            entry = Entry.from_json(data)
            self.entries = [*[e for e in self.entries if e.id != entry.id], entry]
            self.saved = "diary.saved"
            if entry.measure == self.trend_measure and self.trend is not None:
                with contextlib.suppress(ApiError):  # the chart catches up on the next refresh
                    await self._load_trend()
        self.busy = False
        if self.saved is not None:
            self.saved_count += 1
        self._changed()
        return self.saved is not None

    def _queue(self, records: list[dict[str, Any]], taken_at: datetime) -> None:
        assert self.sync is not None
        for record in records:
            data = {
                "kind": record["kind"],
                "value": record.get("value"),
                "unit": record.get("unit", ""),
                "note": record.get("note", ""),
                "recorded_at": taken_at.isoformat(),
            }
            self.sync.outbox.write(COLLECTION, "create", patient_id=self.patient_id, data=data)
        self.sync.kick()

    # --- the doctor's report -------------------------------------------------------------

    async def report(self, days: int, fmt: Literal["pdf", "csv"]) -> Report | None:
        """The last 7 or 30 days as a PDF or CSV file for the doctor (needs a connection)."""
        if days not in REPORT_DAYS:
            raise ValueError("the report covers 7 or 30 days")
        self.error = None
        try:
            content = await self.api.download(
                f"{DIARY}/report", params={"days": days, "format": fmt}
            )
        except ApiError as exc:
            self.error = "diary.error.offline" if exc.status is None else exc.message
            self._changed()
            return None
        stamp = self.now().astimezone(LOCAL_TZ).strftime("%Y%m%d")
        mime = "application/pdf" if fmt == "pdf" else "text/csv"
        return Report(f"machi-diary-{stamp}-{days}d.{fmt}", mime, content)


@dataclass
class DiaryBook:
    """One DiaryState per signed-in person: signing in as someone else starts a fresh one, so
    nobody sees the previous person's diary."""

    api: ApiClient
    on_change: Callable[[], None] = lambda: None
    known_offline: Callable[[], bool] = field(default=lambda: False)
    current: DiaryState | None = None
    owner: str | None = None

    def for_person(
        self, user_id: str, patient_id: str | None, sync: SyncEngine | None
    ) -> DiaryState:
        if self.current is None or self.owner != user_id:
            diary = DiaryState(
                self.api,
                sync=sync,
                patient_id=patient_id,
                known_offline=self.known_offline,
                on_change=self.on_change,
            )
            if sync is not None:
                sync.subscribe(self._sync_changed(diary))
            self.current, self.owner = diary, user_id
        return self.current

    def _sync_changed(self, diary: DiaryState) -> Callable[[], None]:
        seen = {"pending": diary.pending_count()}

        def changed() -> None:
            # Redraw only when this person's queued entries were confirmed (or added): every
            # sync run would otherwise redraw and take the keyboard away from a number field.
            if self.current is not diary:
                return
            pending = diary.pending_count()
            if pending != seen["pending"]:
                seen["pending"] = pending
                diary.on_change()

        return changed
