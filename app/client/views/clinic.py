"""The 診療 tab: appointments with a large 「診察に参加」 (active only in the join window),
booking, the questionnaire, reminders, cancelling, and the nurse's assisted-consultation
record. Thin functions of ClinicState."""

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from zoneinfo import ZoneInfo

import flet as ft

from app.client.auth import Session
from app.client.clinic import Appointment, ClinicState
from app.client.state import AppState, Connection
from app.client.views.common import heading
from app.client.views.signin import require_sign_in

LOCAL_TZ = ZoneInfo("Asia/Tokyo")


def _later(
    action: Callable[..., Awaitable[object]], *args: object
) -> Callable[[], Awaitable[None]]:
    """A click handler that awaits `action(*args)` (Flet awaits only `async def` handlers; a
    lambda returning a coroutine would never run)."""

    async def run() -> None:
        await action(*args)

    return run


WEEKDAYS = {"ja": "月火水木金土日", "en": None}

# Opens a link in the browser (or the phone's browser app); a function so tests can stub it.
Launch = Callable[[str], Awaitable[None]]


def _day_time(state: AppState, moment: datetime) -> str:
    local = moment.astimezone(LOCAL_TZ)
    names = WEEKDAYS.get(state.language)
    day = (
        f"{local.month}/{local.day}（{names[local.weekday()]}）"
        if names
        else local.strftime("%a %m/%d")
    )
    return f"{day} {local.strftime('%H:%M')}"


def _text(state: AppState, text: str, size: float = 18, **kwargs: object) -> ft.Text:
    return ft.Text(text, size=state.text_size(size), **kwargs)  # type: ignore[arg-type]


def _field(
    state: AppState, label: str, value: str, on_change: Callable[[str], None], **kwargs: object
) -> ft.TextField:
    def changed(e: ft.Event[ft.TextField]) -> None:
        on_change(str(e.control.value or ""))

    return ft.TextField(
        label=label,
        value=value,
        text_size=state.text_size(19),
        on_change=changed,
        **kwargs,  # type: ignore[arg-type]
    )


def _banner(state: AppState, text: str, bg: str, colour: str = ft.Colors.BLACK) -> ft.Control:
    return ft.Container(
        _text(state, text, 17, color=colour), bgcolor=bg, padding=12, border_radius=8
    )


def _messages(state: AppState, clinic: ClinicState, online: bool) -> list[ft.Control]:
    rows: list[ft.Control] = []
    if not online or clinic.needs_network:
        rows.append(
            ft.Semantics(
                identifier="clinic-needs-network",
                content=_banner(
                    state, state.t("clinic.needs_network"), ft.Colors.ORANGE_50, ft.Colors.BLACK
                ),
            )
        )
    if clinic.error and not clinic.needs_network:
        detail = f"（{clinic.error_detail}）" if clinic.error_detail else ""
        rows.append(_banner(state, state.t(clinic.error) + detail, ft.Colors.RED_50))
    if clinic.notice:
        rows.append(
            ft.Semantics(
                identifier="clinic-notice",
                content=_banner(state, state.t(clinic.notice), ft.Colors.GREEN_50),
            )
        )
    return rows


def _join_button(
    state: AppState, clinic: ClinicState, appointment: Appointment, launch: Launch, online: bool
) -> ft.Control:
    now = clinic.now()
    active = appointment.can_join(now) and online

    async def join() -> None:
        url = await clinic.join(appointment.id)
        if url:
            await launch(url)

    label = state.t("clinic.join")
    if appointment.status == "booked" and now < appointment.join_opens:
        hint = state.t("clinic.join_opens").format(time=_day_time(state, appointment.join_opens))
    elif appointment.status == "booked" and now >= appointment.join_closes:
        hint = state.t("clinic.join_closed")
    else:
        hint = state.t("clinic.join_help") if active else ""
    return ft.Column(
        [
            ft.Semantics(
                identifier=f"join-{appointment.id}",
                content=ft.FilledButton(
                    content=ft.Text(label, size=state.text_size(24), weight=ft.FontWeight.BOLD),
                    icon=ft.Icons.VIDEO_CALL,
                    on_click=join,
                    disabled=not active,
                    height=80,
                    width=420,
                    style=ft.ButtonStyle(bgcolor=ft.Colors.GREEN_800 if active else None),
                ),
            ),
            _text(state, hint, 15),
        ],
        spacing=4,
    )


def _questionnaire(state: AppState, clinic: ClinicState) -> list[ft.Control]:
    draft = clinic.questionnaire

    def setter(name: str) -> Callable[[str], None]:
        return lambda value: draft.set(name, value)

    async def send() -> None:
        await clinic.submit_questionnaire()

    names = ("symptoms", "since", "temperature", "medication_changes", "allergies", "notes")
    return [
        _text(state, state.t("clinic.questionnaire"), 20, weight=ft.FontWeight.BOLD),
        *[
            _field(
                state,
                state.t(f"clinic.q.{name}"),
                getattr(draft, name),
                setter(name),
                keyboard_type=ft.KeyboardType.NUMBER if name == "temperature" else None,
            )
            for name in names
        ],
        ft.Row(
            [
                ft.FilledButton(
                    state.t("clinic.send"), icon=ft.Icons.SEND, on_click=send, height=56
                ),
                ft.OutlinedButton(
                    state.t("clinic.close"),
                    on_click=lambda: clinic.open_questionnaire(None),
                    height=56,
                ),
            ],
            wrap=True,
        ),
    ]


def _assist(state: AppState, clinic: ClinicState) -> list[ft.Control]:
    draft = clinic.assist

    def actions(value: str) -> None:
        draft.actions = value

    def response(value: str) -> None:
        draft.patient_response = value

    async def send() -> None:
        await clinic.submit_assist()

    started = _day_time(state, draft.started_at) if draft.started_at else "—"
    return [
        _text(state, state.t("clinic.assist_title"), 20, weight=ft.FontWeight.BOLD),
        _text(state, state.t("clinic.assist_started").format(time=started), 16),
        _field(state, state.t("clinic.assist_actions"), draft.actions, actions, multiline=True),
        _field(
            state,
            state.t("clinic.assist_response"),
            draft.patient_response,
            response,
            multiline=True,
        ),
        ft.Row(
            [
                ft.FilledButton(
                    state.t("clinic.assist_save"), icon=ft.Icons.SAVE, on_click=send, height=56
                ),
                ft.OutlinedButton(
                    state.t("clinic.close"), on_click=lambda: clinic.open_assist(None), height=56
                ),
            ],
            wrap=True,
        ),
    ]


def _appointment_card(
    state: AppState, clinic: ClinicState, appointment: Appointment, launch: Launch, online: bool
) -> ft.Control:
    lines: list[ft.Control] = [
        _text(
            state,
            f"{_day_time(state, appointment.start)}  {appointment.doctor_name}",
            21,
            weight=ft.FontWeight.BOLD,
        ),
        _text(state, appointment.clinic_name, 16),
    ]
    if appointment.patient_name and clinic.patient_id is None:
        lines.append(_text(state, f"{appointment.patient_name} 様", 17))
    if appointment.reason:
        lines.append(_text(state, appointment.reason, 16))
    tags = [state.t(f"clinic.status.{appointment.status}")]
    if appointment.nurse_assisted:
        tags.append(state.t("clinic.nurse_assisted"))
    if appointment.status == "booked":
        tags.append(
            state.t(
                "clinic.questionnaire_done"
                if appointment.questionnaire_done
                else "clinic.questionnaire_todo"
            )
        )
    lines.append(_text(state, " · ".join(tags), 15, color=ft.Colors.BLUE_900))
    if appointment.status == "booked":
        lines.append(_join_button(state, clinic, appointment, launch, online))
        buttons: list[ft.Control] = [
            ft.OutlinedButton(
                state.t("clinic.answer_questionnaire"),
                icon=ft.Icons.ASSIGNMENT,
                on_click=lambda: clinic.open_questionnaire(appointment.id),
                height=56,
                disabled=not online,
            ),
            ft.OutlinedButton(
                state.t("clinic.cancel"),
                icon=ft.Icons.EVENT_BUSY,
                on_click=lambda: clinic.ask_cancel(appointment.id),
                height=56,
                disabled=not online,
            ),
        ]
        if clinic.is_nurse and not appointment.assist_recorded:
            buttons.append(
                ft.OutlinedButton(
                    state.t("clinic.assist_open"),
                    icon=ft.Icons.NOTE_ADD,
                    on_click=lambda: clinic.open_assist(appointment.id),
                    height=56,
                )
            )
        lines.append(ft.Row(buttons, wrap=True))
    if clinic.cancel_for == appointment.id:

        async def confirm() -> None:
            await clinic.cancel(appointment.id)

        lines.append(
            ft.Container(
                ft.Column(
                    [
                        _text(state, state.t("clinic.cancel_confirm"), 17),
                        ft.Row(
                            [
                                ft.FilledButton(
                                    state.t("clinic.cancel_yes"), on_click=confirm, height=56
                                ),
                                ft.OutlinedButton(
                                    state.t("clinic.cancel_no"),
                                    on_click=lambda: clinic.ask_cancel(None),
                                    height=56,
                                ),
                            ],
                            wrap=True,
                        ),
                    ]
                ),
                bgcolor=ft.Colors.ORANGE_50,
                padding=12,
                border_radius=8,
            )
        )
    if clinic.questionnaire_for == appointment.id:
        lines += _questionnaire(state, clinic)
    return ft.Card(content=ft.Container(ft.Column(lines, spacing=8), padding=16))


def _booking(state: AppState, clinic: ClinicState, online: bool) -> list[ft.Control]:
    def reason(value: str) -> None:
        clinic.reason = value

    def assisted(e: ft.Event[ft.Switch]) -> None:
        clinic.nurse_assisted = bool(e.control.value)

    def doctor(doctor_id: str) -> Callable[[], Awaitable[None]]:
        return _later(clinic.choose_doctor, doctor_id)

    def book(slot_id: str) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            await clinic.book(slot_id)

        return run

    rows: list[ft.Control] = [
        _text(state, state.t("clinic.book_title"), 20, weight=ft.FontWeight.BOLD),
        ft.Row(
            [
                ft.Chip(
                    label=f"{d.name}（{d.clinic_name}・{d.specialty}）",
                    selected=d.id == clinic.doctor_id,
                    on_select=doctor(d.id),
                )
                for d in clinic.doctors
            ],
            wrap=True,
        ),
        _field(state, state.t("clinic.reason"), clinic.reason, reason),
    ]
    if clinic.is_nurse:
        rows.append(
            ft.Switch(
                label=state.t("clinic.nurse_assisted_switch"),
                value=clinic.nurse_assisted,
                on_change=assisted,
            )
        )
    rows.append(_text(state, state.t("clinic.choose_time"), 17))
    rows.append(
        ft.Row(
            [
                ft.OutlinedButton(
                    _day_time(state, slot.start),
                    on_click=book(slot.id),
                    height=56,
                    disabled=not online,
                )
                for slot in clinic.slots[:24]
            ],
            wrap=True,
        )
        if clinic.slots
        else _text(state, state.t("clinic.no_slots"))
    )
    rows.append(
        ft.OutlinedButton(state.t("clinic.close"), on_click=clinic.close_booking, height=56)
    )
    return rows


def clinic_screen(state: AppState, clinic: ClinicState, launch: Launch) -> ft.Control:
    online = state.connection is not Connection.OFFLINE

    def person(patient_id: str | None) -> Callable[[], Awaitable[None]]:
        return _later(clinic.choose_patient, patient_id)

    rows: list[ft.Control] = [heading(state, "clinic.title"), *_messages(state, clinic, online)]
    if clinic.busy and not clinic.loaded:
        rows.append(ft.ProgressRing())
    choices: list[tuple[str | None, str]] = [(p.patient_id, p.name) for p in clinic.patients]
    if clinic.is_nurse:
        choices = [(None, state.t("clinic.my_schedule")), *choices]
    if len(choices) > 1:
        rows.append(
            ft.Row(
                [
                    ft.Chip(label=name, selected=pid == clinic.patient_id, on_select=person(pid))
                    for pid, name in choices
                ],
                wrap=True,
            )
        )
    assisted = clinic.appointment(clinic.assist_for or "")
    if assisted is not None:
        # First on the screen: the nurse comes back here from the call to record it.
        rows.append(
            ft.Card(
                content=ft.Container(
                    ft.Column(
                        [
                            _text(
                                state,
                                f"{_day_time(state, assisted.start)} {assisted.doctor_name}"
                                + (
                                    f"・{assisted.patient_name} 様" if assisted.patient_name else ""
                                ),
                                17,
                            ),
                            *_assist(state, clinic),
                        ],
                        spacing=8,
                    ),
                    padding=16,
                    bgcolor=ft.Colors.BLUE_50,
                )
            )
        )
    for reminder in clinic.due_reminders():
        rows.append(
            ft.Container(
                ft.Row(
                    [
                        ft.Icon(ft.Icons.NOTIFICATIONS_ACTIVE, color=ft.Colors.BLUE_800),
                        _text(state, reminder.message, 16, expand=True),
                    ],
                ),
                bgcolor=ft.Colors.BLUE_50,
                padding=12,
                border_radius=8,
            )
        )
    upcoming = clinic.upcoming()
    if clinic.loaded and not upcoming:
        rows.append(_text(state, state.t("clinic.none")))
    rows += [_appointment_card(state, clinic, a, launch, online) for a in upcoming]
    if clinic.booking:
        rows += _booking(state, clinic, online)
    else:
        rows.append(
            ft.FilledButton(
                state.t("clinic.book"),
                icon=ft.Icons.EVENT_AVAILABLE,
                on_click=clinic.open_booking,
                height=56,
                disabled=not online,
            )
        )
    rows.append(
        ft.OutlinedButton(
            state.t("clinic.reload"), icon=ft.Icons.REFRESH, on_click=clinic.load, height=56
        )
    )
    return ft.Column(rows, spacing=12, scroll=ft.ScrollMode.AUTO, expand=True)


async def open_link(url: str) -> None:
    """The video link in a new browser tab (web) or the phone's browser: nothing to install."""
    await ft.UrlLauncher().launch_url(url, web_only_window_name="_blank")


def clinic_tab(page: ft.Page, state: AppState, session: Session, clinic: ClinicState) -> ft.Control:
    """The 診療 section as main.py wires it: sign-in first; a new person starts from nothing;
    loaded on first sight."""
    me = session.me
    if me is None or clinic.owner != me.id:
        clinic.reset()
        clinic.owner = me.id if me else None
    if me is not None and not clinic.loaded and not clinic.busy:
        clinic.busy = True
        page.run_task(clinic.load)
    _wake_at_window(page, clinic)
    return require_sign_in(
        state, session, "clinic.title", lambda: clinic_screen(state, clinic, open_link)
    )


def _wake_at_window(page: ft.Page, clinic: ClinicState) -> None:
    """Redraw when the next join window opens or closes, so 「診察に参加」 turns on by itself."""
    target = clinic.next_window_change()
    held = clinic.timer
    if target is None or (held is not None and held[0] == target and not held[1].done()):
        return

    async def wait() -> None:
        await asyncio.sleep(max(0.0, (target - clinic.now()).total_seconds()) + 1)
        clinic.tick()

    clinic.timer = (target, page.run_task(wait))
