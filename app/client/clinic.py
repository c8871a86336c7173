"""The 診療 tab on the device: appointments, booking (for oneself, as a family proxy, or as the
nurse for the patient), the pre-visit questionnaire, reminders, cancellation, joining the
video consultation, and the nurse's record of an assisted one (D to P with N).

Plain Python (no Flet): views/clinic.py only draws this state. Nothing here is queued for
later: a booking or a join made with no signal would be a promise the app cannot keep, so with
no connection the screen says that the network is needed.
"""

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from typing import Any

from app.client.api import ApiClient, ApiError, instant
from app.client.care import Receiver

NURSE_ROLES = ("nurse", "helper")


@dataclass(frozen=True)
class Appointment:
    id: str
    patient_id: str
    patient_name: str | None
    doctor_id: str
    doctor_name: str
    clinic_name: str
    start: datetime
    end: datetime
    status: str
    reason: str
    booked_as: str
    nurse_assisted: bool
    questionnaire_done: bool
    join_opens: datetime
    join_closes: datetime
    assist_recorded: bool

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Appointment":
        return cls(
            id=data["id"],
            patient_id=data["patient_id"],
            patient_name=data.get("patient_name"),
            doctor_id=data["doctor_id"],
            doctor_name=data["doctor_name"],
            clinic_name=data["clinic_name"],
            start=instant(data["start"]),
            end=instant(data["end"]),
            status=data["status"],
            reason=data["reason"],
            booked_as=data["booked_as"],
            nurse_assisted=bool(data["nurse_assisted"]),
            questionnaire_done=bool(data["questionnaire_done"]),
            join_opens=instant(data["join_opens"]),
            join_closes=instant(data["join_closes"]),
            assist_recorded=bool(data["assist_recorded"]),
        )

    def can_join(self, now: datetime) -> bool:
        """「診察に参加」 is active only in the join window (the server checks it again)."""
        return self.status == "booked" and self.join_opens <= now < self.join_closes

    def upcoming(self, now: datetime) -> bool:
        return self.status == "booked" and self.end > now


@dataclass(frozen=True)
class Doctor:
    id: str
    clinic_name: str
    name: str
    specialty: str

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Doctor":
        return cls(
            id=data["id"],
            clinic_name=data["clinic_name"],
            name=data["name"],
            specialty=data["specialty"],
        )


@dataclass(frozen=True)
class Slot:
    id: str
    start: datetime
    end: datetime

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Slot":
        return cls(id=data["id"], start=instant(data["start"]), end=instant(data["end"]))


@dataclass(frozen=True)
class Reminder:
    appointment_id: str
    kind: str  # day_before | soon | questionnaire
    remind_at: datetime
    due: bool
    message: str

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Reminder":
        return cls(
            appointment_id=data["appointment_id"],
            kind=data["kind"],
            remind_at=instant(data["remind_at"]),
            due=bool(data["due"]),
            message=data["message"],
        )


@dataclass
class QuestionnaireDraft:
    """問診票 as typed."""

    symptoms: str = ""
    since: str = ""
    temperature: str = ""
    medication_changes: str = ""
    allergies: str = ""
    notes: str = ""

    def set(self, name: str, value: str) -> None:
        if name not in {f.name for f in fields(self)}:
            raise ValueError(f"no field {name}")
        setattr(self, name, value)

    def body(self) -> dict[str, Any]:
        """The answers for the server; ValueError when the temperature is not one."""
        temperature: float | None = None
        text = unicodedata.normalize("NFKC", self.temperature).strip()
        if text:
            temperature = float(text)
            if not 30 <= temperature <= 45:
                raise ValueError("temperature out of range")
        answers: dict[str, Any] = {
            f.name: getattr(self, f.name).strip() for f in fields(self) if f.name != "temperature"
        }
        answers["temperature"] = temperature
        return answers


@dataclass
class AssistDraft:
    """After an assisted consultation: what the nurse did and how the person responded."""

    started_at: datetime | None = None
    actions: str = ""
    patient_response: str = ""


def _offline(exc: ApiError) -> bool:
    return exc.status is None


@dataclass
class ClinicState:
    """What the 診療 tab shows; every change calls `on_change` so the view redraws."""

    api: ApiClient
    whoami: Callable[[], str | None] = lambda: None  # the signed-in person's role, now
    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    on_change: Callable[[], None] = lambda: None
    patients: list[Receiver] = field(default_factory=list)  # for whom the user may book
    patient_id: str | None = None  # whose appointments are shown and booked
    appointments: list[Appointment] = field(default_factory=list)
    reminders: list[Reminder] = field(default_factory=list)
    booking: bool = False
    doctors: list[Doctor] = field(default_factory=list)
    doctor_id: str | None = None
    slots: list[Slot] = field(default_factory=list)
    reason: str = ""
    nurse_assisted: bool = False
    questionnaire_for: str | None = None
    questionnaire: QuestionnaireDraft = field(default_factory=QuestionnaireDraft)
    cancel_for: str | None = None
    assist_for: str | None = None
    assist: AssistDraft = field(default_factory=AssistDraft)
    joined_at: dict[str, datetime] = field(default_factory=dict)
    owner: str | None = None  # whose data this is (the signed-in user's id)
    timer: tuple[datetime, Any] | None = None  # the redraw waiting for a join window (view's)
    loaded: bool = False
    busy: bool = False
    needs_network: bool = False  # the last action could not reach the server
    error: str | None = None  # an i18n key
    error_detail: str | None = None  # the server's words, when it answered
    notice: str | None = None  # an i18n key

    @property
    def role(self) -> str | None:
        return self.whoami()

    def reset(self) -> None:
        """Forget everything shown (another person signed in, or nobody)."""
        fresh = ClinicState(self.api, self.whoami, self.now, self.on_change)
        for name in (f.name for f in fields(self)):
            if name not in ("api", "whoami", "now", "on_change"):
                setattr(self, name, getattr(fresh, name))

    @property
    def is_nurse(self) -> bool:
        return self.role in NURSE_ROLES or (
            self.role is None and any(p.my_role in NURSE_ROLES for p in self.patients)
        )

    def _changed(self) -> None:
        self.on_change()

    def _fail(self, exc: ApiError, key: str = "clinic.err_server") -> None:
        self.needs_network = _offline(exc)
        self.error = "clinic.err_network" if self.needs_network else key
        self.error_detail = None if self.needs_network else exc.message

    def clear_messages(self) -> None:
        self.error = self.error_detail = self.notice = None
        self.needs_network = False

    def appointment(self, appointment_id: str) -> Appointment | None:
        return next((a for a in self.appointments if a.id == appointment_id), None)

    def upcoming(self) -> list[Appointment]:
        now = self.now()
        return [a for a in self.appointments if a.upcoming(now)]

    def next_window_change(self) -> datetime | None:
        """When a 「診察に参加」 button next turns on or off (to redraw then)."""
        now = self.now()
        moments = [
            moment
            for a in self.upcoming()
            for moment in (a.join_opens, a.join_closes)
            if moment > now
        ]
        return min(moments, default=None)

    def tick(self) -> None:
        """A join window opened or closed: redraw, unless the person is typing in a form."""
        if self.questionnaire_for is None and self.assist_for is None and not self.booking:
            self._changed()

    def due_reminders(self) -> list[Reminder]:
        """What to remind of now: per appointment the latest timing reminder that is due
        (「明日…」 no longer applies once 「…からです」 is due), and the questionnaire one."""
        latest: dict[tuple[str, bool], Reminder] = {}
        for reminder in sorted(self.reminders, key=lambda r: r.remind_at):
            appointment = self.appointment(reminder.appointment_id)
            if appointment is None or appointment.status != "booked":
                continue  # cancelled, held, or not among those shown
            if reminder.due:
                latest[(reminder.appointment_id, reminder.kind == "questionnaire")] = reminder
        return sorted(latest.values(), key=lambda r: r.remind_at)

    # --- loading ---------------------------------------------------------------------------

    async def load(self) -> None:
        self.busy = True
        self._changed()
        try:
            receivers = await self.api.request("GET", "/api/v1/care/receivers")
            self.patients = [
                r
                for r in (Receiver.from_json(x) for x in receivers)
                if r.my_role in ("self", "family", *NURSE_ROLES)
            ]
            if self.patient_id not in {p.patient_id for p in self.patients}:
                own = next((p for p in self.patients if p.my_role == "self"), None)
                first = own or (self.patients[0] if self.patients else None)
                self.patient_id = None if self.is_nurse or first is None else first.patient_id
            await self._load_appointments()
            self.clear_messages()
        except ApiError as exc:
            self._fail(exc)
        self.loaded = True
        self.busy = False
        self._changed()

    async def _load_appointments(self) -> None:
        # Without a person: the nurse's own assisted consultations.
        params = {"patient_id": self.patient_id} if self.patient_id else None
        answer = await self.api.request("GET", "/api/v1/clinic/appointments", params=params)
        self.appointments = [Appointment.from_json(a) for a in answer]
        reminders = await self.api.request("GET", "/api/v1/clinic/reminders")
        self.reminders = [
            Reminder.from_json(r)
            for r in reminders
            if self.patient_id is None or self.appointment(r["appointment_id"])
        ]

    async def choose_patient(self, patient_id: str | None) -> None:
        self.patient_id = patient_id
        self.booking = False
        try:
            await self._load_appointments()
            self.clear_messages()
        except ApiError as exc:
            self._fail(exc)
        self._changed()

    # --- booking ---------------------------------------------------------------------------

    async def open_booking(self) -> None:
        """Start booking: the doctors (and, for the nurse, whom it is for)."""
        if self.is_nurse and self.patient_id is None and self.patients:
            self.patient_id = self.patients[0].patient_id
        try:
            answer = await self.api.request("GET", "/api/v1/clinic/doctors")
        except ApiError as exc:
            self._fail(exc)
            self._changed()
            return
        self.doctors = [Doctor.from_json(d) for d in answer]
        self.booking = True
        self.nurse_assisted = self.is_nurse
        self.clear_messages()
        if self.doctors:
            await self.choose_doctor(self.doctors[0].id)
        else:
            self._changed()

    async def choose_doctor(self, doctor_id: str) -> None:
        self.doctor_id = doctor_id
        try:
            answer = await self.api.request(
                "GET", f"/api/v1/clinic/doctors/{doctor_id}/slots", params={"days": 14}
            )
        except ApiError as exc:
            self._fail(exc)
            self._changed()
            return
        self.slots = [Slot.from_json(s) for s in answer]
        self._changed()

    def close_booking(self) -> None:
        self.booking = False
        self._changed()

    async def book(self, slot_id: str) -> Appointment | None:
        """Book this time now; with no connection, say so (a booking is never queued)."""
        body: dict[str, Any] = {
            "slot_id": slot_id,
            "reason": self.reason.strip(),
            "nurse_assisted": self.nurse_assisted and self.is_nurse,
        }
        if self.patient_id:
            body["patient_id"] = self.patient_id
        try:
            answer = await self.api.request(
                "POST", "/api/v1/clinic/appointments", json=body, idempotency_key=slot_id
            )
        except ApiError as exc:
            self._fail(exc, "clinic.err_book")
            self._changed()
            return None
        booked = Appointment.from_json(answer)
        self.booking = False
        self.reason = ""
        try:
            await self._load_appointments()
        except ApiError:
            self.appointments = [*self.appointments, booked]
        self.clear_messages()
        self.notice = "clinic.booked"
        self._changed()
        return booked

    # --- cancelling ------------------------------------------------------------------------

    def ask_cancel(self, appointment_id: str | None) -> None:
        self.cancel_for = appointment_id
        self._changed()

    async def cancel(self, appointment_id: str, reason: str = "") -> bool:
        try:
            answer = await self.api.request(
                "POST",
                f"/api/v1/clinic/appointments/{appointment_id}/cancel",
                json={"reason": reason},
            )
        except ApiError as exc:
            self._fail(exc)
            self._changed()
            return False
        self._replace(Appointment.from_json(answer))
        self.cancel_for = None
        self.clear_messages()
        self.notice = "clinic.cancelled"
        self._changed()
        return True

    def _replace(self, appointment: Appointment) -> None:
        self.appointments = [
            appointment if a.id == appointment.id else a for a in self.appointments
        ]

    # --- the questionnaire -----------------------------------------------------------------

    def open_questionnaire(self, appointment_id: str | None) -> None:
        self.questionnaire_for = appointment_id
        self.questionnaire = QuestionnaireDraft()
        self.clear_messages()
        self._changed()

    async def submit_questionnaire(self) -> bool:
        if self.questionnaire_for is None:
            return False
        try:
            body = self.questionnaire.body()
        except ValueError:
            self.error, self.error_detail = "clinic.err_temperature", None
            self._changed()
            return False
        try:
            answer = await self.api.request(
                "PUT",
                f"/api/v1/clinic/appointments/{self.questionnaire_for}/questionnaire",
                json=body,
            )
        except ApiError as exc:
            self._fail(exc)
            self._changed()
            return False
        self._replace(Appointment.from_json(answer))
        self.questionnaire_for = None
        self.clear_messages()
        self.notice = "clinic.questionnaire_sent"
        self._changed()
        return True

    # --- joining ---------------------------------------------------------------------------

    async def join(self, appointment_id: str) -> str | None:
        """The personal video link to open now (None, with the reason shown, otherwise).

        For the nurse of an assisted consultation this starts the call for the person and the
        clock of the assist record."""
        try:
            answer = await self.api.request(
                "GET", f"/api/v1/clinic/appointments/{appointment_id}/join"
            )
        except ApiError as exc:
            self._fail(exc, "clinic.err_join")
            self._changed()
            return None
        self.joined_at.setdefault(appointment_id, self.now())
        if self.is_nurse:
            self.assist_for = appointment_id
            self.assist = AssistDraft(started_at=self.joined_at[appointment_id])
        self.clear_messages()
        self.notice = "clinic.joined"
        self._changed()
        return str(answer["url"])

    # --- the nurse's record of an assisted consultation ------------------------------------

    def open_assist(self, appointment_id: str | None) -> None:
        self.assist_for = appointment_id
        if appointment_id is not None:
            started = self.joined_at.get(appointment_id)
            appointment = self.appointment(appointment_id)
            if started is None and appointment is not None:
                started = appointment.start
            self.assist = AssistDraft(started_at=started)
        self._changed()

    async def submit_assist(self) -> bool:
        """Time (from joining until now), what was done, and the person's response."""
        appointment_id = self.assist_for
        draft = self.assist
        if appointment_id is None:
            return False
        if not draft.actions.strip() or not draft.patient_response.strip():
            self.error, self.error_detail = "clinic.err_assist", None
            self._changed()
            return False
        ended = self.now()
        started = draft.started_at or ended - timedelta(minutes=1)
        if ended <= started:
            ended = started + timedelta(minutes=1)
        try:
            answer = await self.api.request(
                "PUT",
                f"/api/v1/clinic/appointments/{appointment_id}/assist",
                json={
                    "started_at": started.isoformat(),
                    "ended_at": ended.isoformat(),
                    "actions": draft.actions.strip(),
                    "patient_response": draft.patient_response.strip(),
                },
            )
        except ApiError as exc:
            self._fail(exc)
            self._changed()
            return False
        self._replace(Appointment.from_json(answer))
        self.assist_for = None
        self.assist = AssistDraft()
        self.clear_messages()
        self.notice = "clinic.assist_saved"
        self._changed()
        return True
