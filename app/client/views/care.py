"""The ケア tab: the nurse's visits and record form (two panes on a tablet), the family view,
and the team timeline. Thin functions of CareState; text fields write into the state without
a redraw, so typing never loses focus."""

from collections.abc import Awaitable, Callable
from datetime import datetime
from zoneinfo import ZoneInfo

import flet as ft

from app.client.auth import Session
from app.client.care import (
    CARE_GIVEN,
    OBSERVATIONS,
    POST_KINDS,
    VITAL_RANGES,
    CareState,
    FamilyView,
    Post,
    RecordStatus,
    Summary,
    Visit,
    VitalPoint,
    vital_series,
)
from app.client.state import AppState
from app.client.views.common import heading
from app.client.views.shell import is_phone
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


BUTTON_HEIGHT = 56

STATUS_COLOURS = {
    RecordStatus.NONE: ft.Colors.GREY_700,
    RecordStatus.PENDING: ft.Colors.ORANGE_800,
    RecordStatus.SENT: ft.Colors.GREEN_800,
    RecordStatus.REJECTED: ft.Colors.RED_800,
}
STATUS_ICONS = {
    RecordStatus.NONE: ft.Icons.EDIT_NOTE,
    RecordStatus.PENDING: ft.Icons.CLOUD_UPLOAD_OUTLINED,
    RecordStatus.SENT: ft.Icons.CLOUD_DONE,
    RecordStatus.REJECTED: ft.Icons.ERROR_OUTLINE,
}


def _hm(moment: datetime) -> str:
    return moment.astimezone(LOCAL_TZ).strftime("%H:%M")


def _md_hm(moment: datetime) -> str:
    return moment.astimezone(LOCAL_TZ).strftime("%m/%d %H:%M")


def _text(state: AppState, text: str, size: float = 18, **kwargs: object) -> ft.Text:
    return ft.Text(text, size=state.text_size(size), **kwargs)  # type: ignore[arg-type]


def _title(state: AppState, text: str) -> ft.Text:
    return ft.Text(text, size=state.text_size(20), weight=ft.FontWeight.BOLD)


def _messages(state: AppState, care: CareState) -> list[ft.Control]:
    rows: list[ft.Control] = []
    if care.from_cache:
        rows.append(_banner(state, state.t("care.from_cache"), ft.Colors.ORANGE_50))
    if care.error:
        text = state.t(care.error) + (f"（{care.error_detail}）" if care.error_detail else "")
        rows.append(
            ft.Semantics(
                identifier="care-error",
                content=_banner(state, text, ft.Colors.RED_50, ft.Colors.RED_900),
            )
        )
    if care.notice:
        rows.append(
            ft.Semantics(
                identifier="care-notice",
                content=_banner(state, state.t(care.notice), ft.Colors.GREEN_50),
            )
        )
    return rows


def _banner(state: AppState, text: str, bg: str, colour: str = ft.Colors.BLACK) -> ft.Control:
    return ft.Container(
        _text(state, text, 17, color=colour),
        bgcolor=bg,
        padding=12,
        border_radius=8,
    )


def _button(
    label: str,
    on_click: Callable[[], Awaitable[None]] | Callable[[], None],
    icon: ft.IconData | None = None,
    *,
    filled: bool = False,
    disabled: bool = False,
) -> ft.Control:
    kind = ft.FilledButton if filled else ft.OutlinedButton
    return kind(label, icon=icon, on_click=on_click, height=BUTTON_HEIGHT, disabled=disabled)


# --- the nurse ---------------------------------------------------------------------------


def _status_line(state: AppState, care: CareState, visit: Visit) -> ft.Control:
    status = care.record_status(visit.id)
    words = state.t(f"care.record_{status.value}")
    if visit.status == "done":
        words += " · " + state.t("care.done")
    return ft.Row(
        [
            ft.Icon(STATUS_ICONS[status], color=STATUS_COLOURS[status]),
            _text(state, words, 16, color=STATUS_COLOURS[status]),
        ],
        spacing=6,
        wrap=True,
    )


def _visit_tile(state: AppState, care: CareState, index: int, visit: Visit) -> ft.Control:
    selected = care.selected_visit == visit.id
    tile = ft.Semantics(
        identifier=f"visit-{index}",
        content=ft.Container(
            ft.Column(
                [
                    _text(
                        state,
                        f"{index + 1}. {_hm(visit.scheduled_start)}–{_hm(visit.scheduled_end)}  "
                        f"{visit.patient_name}",
                        19,
                        weight=ft.FontWeight.BOLD,
                    ),
                    _text(state, visit.address, 15),
                    _text(state, visit.purpose, 15),
                    _status_line(state, care, visit),
                ],
                spacing=4,
            ),
            padding=14,
            border_radius=10,
            bgcolor=ft.Colors.BLUE_50 if selected else ft.Colors.GREY_100,
            on_click=lambda: care.open_visit(visit.id),
        ),
    )
    if len(care.visits) < 2:
        return tile
    order = ft.Column(
        [
            ft.IconButton(
                ft.Icons.ARROW_UPWARD,
                tooltip=state.t("care.move_up"),
                on_click=_later(care.move_visit, visit.id, -1),
                disabled=index == 0,
                icon_size=28,
            ),
            ft.IconButton(
                ft.Icons.ARROW_DOWNWARD,
                tooltip=state.t("care.move_down"),
                on_click=_later(care.move_visit, visit.id, 1),
                disabled=index == len(care.visits) - 1,
                icon_size=28,
            ),
        ],
        spacing=0,
    )
    tile.expand = (
        True  # beside the order buttons (in a Row: a scrolling column has no room to fill)
    )
    return ft.Row([tile, order], vertical_alignment=ft.CrossAxisAlignment.CENTER)


def _latest_vitals(state: AppState, points: list[VitalPoint]) -> str:
    parts = []
    for code in VITAL_RANGES:
        series = vital_series(points, code)
        if series:
            value = series[-1].value
            shown = f"{value:g}"
            parts.append(f"{state.t(f'care.v.{code}')} {shown}")
    return "  ".join(parts) or state.t("care.none")


def _summary(state: AppState, summary: Summary) -> list[ft.Control]:
    rows: list[ft.Control] = []
    if summary.recent_vitals is not None:
        rows += [
            _title(state, state.t("care.recent_vitals")),
            _text(state, _latest_vitals(state, summary.recent_vitals), 17),
        ]
        bp = [
            f"{_md_hm(s.at)} {s.value:g}/{d.value:g}"
            for s, d in zip(
                vital_series(summary.recent_vitals, "systolic")[-4:],
                vital_series(summary.recent_vitals, "diastolic")[-4:],
                strict=False,
            )
        ]
        if bp:
            rows.append(_text(state, state.t("care.bp") + ": " + " / ".join(bp), 15))
    if summary.notes is not None:
        rows.append(_title(state, state.t("care.notes")))
        rows += [
            _text(state, f"{_md_hm(n.occurred_at)} {n.author_name}\n{n.text}", 15)
            for n in summary.notes[:2]
        ] or [_text(state, state.t("care.none"), 15)]
    if summary.medications is not None:
        rows.append(_title(state, state.t("care.medications")))
        rows += [_text(state, f"・{m}", 16) for m in summary.medications] or [
            _text(state, state.t("care.none"), 15)
        ]
    if summary.care_plan is not None:
        rows.append(_title(state, state.t("care.care_plan")))
        rows += [_text(state, f"・{p}", 16) for p in summary.care_plan]
    if summary.emergency_contacts:
        rows.append(_title(state, state.t("care.contacts")))
        rows += [
            _text(state, f"{c.get('name', '')}（{c.get('relationship', '')}）{c.get('phone', '')}")
            for c in summary.emergency_contacts
        ]
    return rows


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


def _record_form(
    state: AppState, care: CareState, visit: Visit, save: Callable[[], Awaitable[None]]
) -> list[ft.Control]:
    draft = care.draft(visit.id)

    def setter(name: str) -> Callable[[str], None]:
        return lambda value: draft.set(name, value)

    def toggler(item: str) -> Callable[[ft.Event[ft.Checkbox]], None]:
        def run(e: ft.Event[ft.Checkbox]) -> None:
            draft.toggle_care(item, bool(e.control.value))

        return run

    vitals: list[ft.Control] = [
        _field(
            state,
            state.t(f"care.v.{name}"),
            getattr(draft, name),
            setter(name),
            keyboard_type=ft.KeyboardType.NUMBER,
            width=150,
            error=state.t(care.draft_errors[name]) if name in care.draft_errors else None,
        )
        for name in VITAL_RANGES
    ]
    observations = [
        _field(state, state.t(f"care.o.{name}"), getattr(draft, name), setter(name))
        for name in OBSERVATIONS
    ]
    return [
        _title(state, state.t("care.record_title")),
        _text(state, state.t("care.vitals"), 17, weight=ft.FontWeight.BOLD),
        ft.Row(vitals, wrap=True, spacing=10, run_spacing=10),
        *observations,
        _text(state, state.t("care.care_given"), 17, weight=ft.FontWeight.BOLD),
        ft.Row(
            [
                ft.Checkbox(
                    label=item,
                    value=item in draft.care_given,
                    on_change=toggler(item),
                    label_style=ft.TextStyle(size=state.text_size(17)),
                )
                for item in CARE_GIVEN
            ],
            wrap=True,
        ),
        _field(
            state,
            state.t("care.o.note"),
            draft.note,
            setter("note"),
            multiline=True,
            min_lines=3,
        ),
        _text(state, state.t("care.save_help"), 15, color=ft.Colors.GREY_800),
        ft.Row(
            [
                _button(state.t("care.save"), save, ft.Icons.SAVE, filled=True),
                _button(state.t("care.cancel"), care.cancel_record),
            ],
            wrap=True,
        ),
    ]


def _close_warning(state: AppState, care: CareState, visit: Visit) -> ft.Control:
    status = care.record_status(visit.id)
    key = "care.warn_pending" if status is RecordStatus.PENDING else "care.warn_none"

    def reason(value: str) -> None:
        care.close_reason = value

    return ft.Semantics(
        identifier="close-warning",
        content=ft.Container(
            ft.Column(
                [
                    ft.Row(
                        [
                            ft.Icon(ft.Icons.WARNING_AMBER, color=ft.Colors.ORANGE_900, size=32),
                            _title(state, state.t(f"{key}_title")),
                        ],
                        wrap=True,
                    ),
                    _text(state, state.t(key), 17),
                    _button(
                        state.t("care.send_then_close"),
                        _later(care.send_then_close, visit.id),
                        ft.Icons.CLOUD_UPLOAD,
                        filled=True,
                    ),
                    _field(state, state.t("care.close_reason"), care.close_reason, reason),
                    ft.Row(
                        [
                            _button(
                                state.t("care.close_anyway"), _later(care.close_anyway, visit.id)
                            ),
                            _button(state.t("care.keep_open"), care.keep_open),
                        ],
                        wrap=True,
                    ),
                ],
                spacing=10,
            ),
            bgcolor=ft.Colors.ORANGE_50,
            border=ft.Border.all(2, ft.Colors.ORANGE_800),
            border_radius=10,
            padding=16,
        ),
    )


def _visit_detail(state: AppState, care: CareState, visit: Visit, wide: bool) -> list[ft.Control]:
    async def save() -> None:
        await care.save_record()

    rows: list[ft.Control] = []
    if not wide:
        rows.append(
            _button(state.t("care.back"), lambda: care.open_visit(None), ft.Icons.ARROW_BACK)
        )
    rows += [
        ft.Text(
            f"{visit.patient_name} 様",
            size=state.text_size(24),
            weight=ft.FontWeight.BOLD,
        ),
        _text(
            state,
            f"{_hm(visit.scheduled_start)}–{_hm(visit.scheduled_end)}  {visit.address}",
            16,
        ),
        _text(state, visit.purpose, 16),
        _status_line(state, care, visit),
    ]
    reason = care.rejection(visit.id)
    if reason is not None and care.record_status(visit.id) is RecordStatus.REJECTED:
        rows.append(
            _banner(
                state, f"{state.t('care.rejected')}: {reason}", ft.Colors.RED_50, ft.Colors.RED_900
            )
        )
    if care.close_warning == visit.id:
        rows.append(_close_warning(state, care, visit))
    if care.recording:
        rows += _record_form(state, care, visit, save)
    else:
        actions: list[ft.Control] = []
        if care.record_status(visit.id) in (RecordStatus.NONE, RecordStatus.REJECTED):
            actions.append(
                _button(state.t("care.record"), care.start_record, ft.Icons.EDIT, filled=True)
            )
        if visit.status != "done":
            actions.append(
                _button(
                    state.t("care.close"),
                    _later(care.request_close, visit.id),
                    ft.Icons.TASK_ALT,
                )
            )
        rows.append(ft.Row(actions, wrap=True))
        summary = care.summaries.get(visit.patient_id)
        if summary is not None:
            rows.append(ft.Divider())
            rows += _summary(state, summary)
    return rows


def _nurse(state: AppState, care: CareState, wide: bool) -> ft.Control:
    visit = care.visit(care.selected_visit or "")
    listing: list[ft.Control] = [
        heading(state, "care.visits_today"),
        *_messages(state, care),
    ]
    if care.loaded and not care.visits:
        listing.append(_text(state, state.t("care.no_visits")))
    listing += [_visit_tile(state, care, i, v) for i, v in enumerate(care.visits)]
    listing.append(_button(state.t("care.reload"), care.load, ft.Icons.REFRESH))
    if not wide:
        if visit is None:
            return ft.Column(listing, spacing=12, scroll=ft.ScrollMode.AUTO, expand=True)
        detail = [*_messages(state, care), *_visit_detail(state, care, visit, wide)]
        return ft.Column(detail, spacing=12, scroll=ft.ScrollMode.AUTO, expand=True)
    right: list[ft.Control] = (
        _visit_detail(state, care, visit, wide)
        if visit is not None
        else [_text(state, state.t("care.choose_visit"), color=ft.Colors.GREY_700)]
    )
    return ft.Row(
        [
            ft.Column(listing, spacing=12, scroll=ft.ScrollMode.AUTO, expand=2),
            ft.VerticalDivider(width=1),
            ft.Column(right, spacing=12, scroll=ft.ScrollMode.AUTO, expand=3),
        ],
        expand=True,
        vertical_alignment=ft.CrossAxisAlignment.START,
    )


# --- posts, the family view and the team timeline -----------------------------------------


def _post_card(state: AppState, care: CareState, post: Post) -> ft.Control:
    async def ack() -> None:
        await care.acknowledge(post.id)

    readers = "、".join(a.name for a in post.acks)
    footer: list[ft.Control] = []
    if post.acked_by_me:
        footer.append(
            ft.Row(
                [
                    ft.Icon(ft.Icons.CHECK_CIRCLE, color=ft.Colors.GREEN_800),
                    _text(state, state.t("care.acked"), 16, color=ft.Colors.GREEN_800),
                ]
            )
        )
    elif post.author_id != care.owner:  # one's own post needs no 確認しました
        footer.append(_button(state.t("care.ack"), ack, ft.Icons.CHECK, filled=True))
    if readers:
        footer.append(_text(state, f"{state.t('care.read_by')}: {readers}", 14))
    return ft.Card(
        content=ft.Container(
            ft.Column(
                [
                    _text(
                        state,
                        f"{state.t(f'care.kind.{post.kind}')} · {_md_hm(post.occurred_at)}",
                        15,
                        color=ft.Colors.BLUE_900,
                    ),
                    _text(state, f"{post.author_name}", 15, weight=ft.FontWeight.BOLD),
                    _text(state, post.text or "—", 17),
                    *footer,
                ],
                spacing=6,
            ),
            padding=14,
        ),
    )


def _trend(state: AppState, points: list[VitalPoint]) -> list[ft.Control]:
    systolic = vital_series(points, "systolic")[-7:]
    diastolic = vital_series(points, "diastolic")[-7:]
    if not systolic:
        return [_text(state, state.t("care.none"), 16)]
    top = max(p.value for p in systolic)
    bars: list[ft.Control] = [
        ft.Column(
            [
                _text(state, f"{s.value:g}/{d.value:g}", 13),
                ft.Container(
                    width=28,
                    height=max(8.0, 90 * s.value / top),
                    bgcolor=ft.Colors.RED_400 if s.value >= 135 else ft.Colors.BLUE_400,
                    border_radius=4,
                ),
                _text(state, s.at.astimezone(LOCAL_TZ).strftime("%m/%d"), 13),
            ],
            horizontal_alignment=ft.CrossAxisAlignment.CENTER,
            alignment=ft.MainAxisAlignment.END,
            spacing=4,
        )
        for s, d in zip(systolic, diastolic, strict=False)
    ]
    return [
        _text(state, state.t("care.bp_trend"), 16),
        ft.Row(bars, scroll=ft.ScrollMode.AUTO, vertical_alignment=ft.CrossAxisAlignment.END),
    ]


def _family_view(state: AppState, care: CareState, view: FamilyView) -> list[ft.Control]:
    rows: list[ft.Control] = [
        ft.Text(f"{view.name} 様", size=state.text_size(24), weight=ft.FontWeight.BOLD),
    ]
    if view.unread:
        rows.append(_text(state, state.t("care.unread").format(n=view.unread), 16))
    if view.latest_visits is not None:
        rows.append(_title(state, state.t("care.latest_visits")))
        rows += [_post_card(state, care, p) for p in view.latest_visits[:3]] or [
            _text(state, state.t("care.none"), 16)
        ]
    if view.vitals_trend is not None:
        rows.append(_title(state, state.t("care.vitals_trend")))
        rows += _trend(state, view.vitals_trend)
    if view.next_appointments is not None:
        rows.append(_title(state, state.t("care.next_appointments")))
        rows += [
            _text(state, f"{_md_hm(a.start)} {a.clinic} {a.doctor}", 17)
            for a in view.next_appointments
        ] or [_text(state, state.t("care.none"), 16)]
    if view.messages is not None:
        rows.append(_title(state, state.t("care.messages")))
        rows += [_post_card(state, care, p) for p in view.messages[:5]] or [
            _text(state, state.t("care.none"), 16)
        ]
    return rows


def _family(state: AppState, care: CareState) -> ft.Control:
    rows: list[ft.Control] = [heading(state, "care.family_title"), *_messages(state, care)]
    if care.loaded and not care.family:
        rows.append(_text(state, state.t("care.no_family")))
    for view in care.family.values():
        rows += _family_view(state, care, view)
        rows.append(ft.Divider())
    rows.append(_button(state.t("care.reload"), care.load, ft.Icons.REFRESH))
    return ft.Column(rows, spacing=12, scroll=ft.ScrollMode.AUTO, expand=True)


def _team(state: AppState, care: CareState) -> ft.Control:
    def choose(patient_id: str) -> Callable[[], Awaitable[None]]:
        return _later(care.select_patient, patient_id)

    def kind(name: str) -> Callable[[], Awaitable[None]]:
        return _later(care.toggle_kind, name)

    def typed(value: str) -> None:
        care.message = value

    async def send() -> None:
        await care.post_message()

    rows: list[ft.Control] = [heading(state, "care.team_title"), *_messages(state, care)]
    if len(care.receivers) > 1:
        rows.append(
            ft.Row(
                [
                    ft.Chip(
                        label=r.name,
                        selected=r.patient_id == care.selected_patient,
                        on_select=choose(r.patient_id),
                    )
                    for r in care.receivers
                ],
                wrap=True,
            )
        )
    chosen = next((r for r in care.receivers if r.patient_id == care.selected_patient), None)
    if chosen is not None:
        rows.append(
            ft.Text(f"{chosen.name} 様", size=state.text_size(22), weight=ft.FontWeight.BOLD)
        )
    if care.selected_patient is None:
        rows.append(_text(state, state.t("care.no_receivers")))
        return ft.Column(rows, spacing=12, scroll=ft.ScrollMode.AUTO, expand=True)
    rows.append(
        ft.Row(
            [
                ft.Chip(
                    label=state.t("care.kind.all"),
                    selected=not care.kinds,
                    on_select=care.show_all_kinds,
                ),
                *[
                    ft.Chip(
                        label=state.t(f"care.kind.{k}"),
                        selected=k in care.kinds,
                        on_select=kind(k),
                    )
                    for k in POST_KINDS
                ],
            ],
            wrap=True,
        )
    )
    rows += [
        _field(state, state.t("care.message"), care.message, typed, multiline=True, min_lines=2),
        _button(state.t("care.post"), send, ft.Icons.SEND, filled=True),
    ]
    rows += [_post_card(state, care, p) for p in care.timeline] or [
        _text(state, state.t("care.none"))
    ]
    return ft.Column(rows, spacing=12, scroll=ft.ScrollMode.AUTO, expand=True)


def care_screen(state: AppState, care: CareState, wide: bool) -> ft.Control:
    """The ケア tab for whoever signed in (nurse, family, or team)."""
    if care.busy and not care.loaded:
        return ft.Column([heading(state, "care.title"), ft.ProgressRing()], spacing=12)
    if care.mode == "nurse":
        return _nurse(state, care, wide)
    if care.mode == "family":
        return _family(state, care)
    return _team(state, care)


def care_tab(page: ft.Page, state: AppState, session: Session, care: CareState) -> ft.Control:
    """The ケア section as main.py wires it: sign-in first; the person's own data (a new
    person starts from nothing); loaded on first sight; redrawn when a visit record syncs."""
    me = session.me
    if me is None or care.owner != me.id:
        care.reset()
        care.owner = me.id if me else None
    engine = session.sync
    if engine is not None and care.watching is not engine:
        care.watching = engine
        engine.subscribe(care.sync_changed)
    if me is not None and not care.loaded and not care.busy:
        care.busy = True  # one load, however many redraws come before it starts
        page.run_task(care.load)
    return require_sign_in(
        state, session, "care.title", lambda: care_screen(state, care, not is_phone(page.width))
    )
