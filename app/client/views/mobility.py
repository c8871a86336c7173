"""The 乗り物 tab: nearby e-scooters and e-bikes, my bookings (unlock, end, cancel) and the
shuttle screen for elderly riders (large buttons, few choices, the booking read back)."""

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import flet as ft

from app.client.auth import Session
from app.client.mobility import PLACES, MobilityState
from app.client.operator import OperatorState, is_operator
from app.client.state import AppState
from app.client.views.common import heading, paragraph
from app.client.views.operator import operator_screen
from app.client.views.signin import sign_in_button

LOCAL_TZ = ZoneInfo("Asia/Tokyo")
Run = Callable[[Callable[[], Awaitable[Any]]], None]


def _hm(iso: str) -> str:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(LOCAL_TZ).strftime("%H:%M")


def _later(run: Run, action: Callable[..., Awaitable[Any]], *args: Any) -> Callable[[], None]:
    """A click handler taking no argument (Flet passes the event to one that takes any)."""
    return lambda: run(lambda: action(*args))


def _big(label: str, on_click: Callable[[], Any], icon: ft.IconData | None = None) -> ft.Control:
    return ft.Button(
        content=ft.Text(label, size=20), icon=icon, height=64, on_click=on_click, expand=True
    )


def _vehicle_tile(state: AppState, mob: MobilityState, v: dict[str, Any], run: Run) -> ft.Control:
    name = v["type_name_en"] if state.language == "en" else v["type_name"]
    price = v.get("price") or {}
    rng = v.get("current_range_meters")
    lines = [
        f"{state.t('mobility.battery')} {v.get('battery_percent', '?')}%"
        + (f" · {state.t('mobility.range')} {rng / 1000:.0f} km" if rng else ""),
        f"¥{price.get('unlock_price', 0)} + ¥{price.get('per_minute', 0)}/{state.t('trips.min')}"
        f" · {round(v.get('distance_m') or 0)} m",
    ]
    return ft.Card(
        content=ft.Container(
            ft.Column(
                [
                    ft.Text(
                        f"{name} {v['code']}", size=state.text_size(20), weight=ft.FontWeight.BOLD
                    ),
                    *[ft.Text(line, size=state.text_size(16)) for line in lines],
                    ft.Semantics(
                        identifier=f"reserve-{v['id']}",
                        content=ft.Button(
                            content=ft.Text(state.t("mobility.reserve"), size=state.text_size(18)),
                            icon=ft.Icons.LOCK_CLOCK,
                            height=56,
                            on_click=lambda: run(lambda: mob.reserve(v["id"])),
                        ),
                    ),
                ],
                spacing=6,
            ),
            padding=16,
        )
    )


def _nearby(state: AppState, mob: MobilityState, session: Session, run: Run) -> list[ft.Control]:
    rows: list[ft.Control] = [
        ft.Text(state.t("mobility.where"), size=state.text_size(18)),
        ft.Row(
            [
                ft.Button(
                    content=ft.Text(en if state.language == "en" else ja, size=state.text_size(17)),
                    height=56,
                    style=ft.ButtonStyle(bgcolor=ft.Colors.BLUE_100 if i == mob.place else None),
                    on_click=_later(run, mob.choose_place, i),
                )
                for i, (ja, en, _lat, _lon) in enumerate(PLACES)
            ],
            wrap=True,
        ),
    ]
    if not session.signed_in:
        rows += [
            paragraph(state, state.t("mobility.sign_in_to_book")),
            sign_in_button(state, session),
        ]
    if not mob.busy and not mob.vehicles:
        rows.append(paragraph(state, state.t("mobility.none_nearby")))
    rows += [
        ft.Semantics(
            identifier="vehicle-list",
            content=ft.Column([_vehicle_tile(state, mob, v, run) for v in mob.vehicles], spacing=8),
        )
    ]
    return rows


def _booking_card(state: AppState, mob: MobilityState, b: dict[str, Any], run: Run) -> ft.Control:
    body: list[ft.Control] = [
        ft.Text(
            f"{b['vehicle_code']} · {state.t('mobility.state.' + b['state'])}",
            size=state.text_size(20),
            weight=ft.FontWeight.BOLD,
        )
    ]
    if b["state"] == "CONFIRMED":
        if b.get("expires_at"):
            body.append(paragraph(state, f"{state.t('mobility.until')} {_hm(b['expires_at'])}"))
        body.append(
            ft.Row(
                [
                    _big(
                        state.t("mobility.unlock"),
                        lambda: run(lambda: mob.unlock(b["id"])),
                        ft.Icons.LOCK_OPEN,
                    ),
                ]
            )
        )
        body.append(
            ft.TextButton(
                state.t("mobility.cancel"),
                height=56,
                on_click=lambda: run(lambda: mob.cancel(b["id"])),
            )
        )
    if b["state"] == "STARTED":
        body.append(paragraph(state, state.t("mobility.end_where")))
        lat, lon = mob.position
        body.append(
            ft.Row(
                [
                    _big(
                        state.t("mobility.end_here"),
                        lambda: run(lambda: mob.end(b["id"], lat, lon)),
                        ft.Icons.LOCK,
                    )
                ]
            )
        )
        for port in mob.stations:
            name = port["name_en"] if state.language == "en" else port["name"]
            body.append(
                ft.TextButton(
                    f"{state.t('mobility.end_at')} {name}",
                    height=56,
                    on_click=_later(run, mob.end, b["id"], port["lat"], port["lon"]),
                )
            )
    if b["state"] == "FINISHED" and b.get("final_price") is not None:
        body.append(paragraph(state, f"{state.t('mobility.paid')} ¥{b['final_price']}"))
    return ft.Card(content=ft.Container(ft.Column(body, spacing=6), padding=16))


def _bookings(state: AppState, mob: MobilityState, session: Session, run: Run) -> list[ft.Control]:
    if not session.signed_in:
        return [paragraph(state, state.t("signin.required")), sign_in_button(state, session)]
    rows: list[ft.Control] = []
    if mob.no_parking:
        rows.append(
            ft.Container(
                ft.Column(
                    [
                        ft.Text(
                            state.t("mobility.no_parking"),
                            size=state.text_size(18),
                            weight=ft.FontWeight.BOLD,
                        ),
                        *[
                            ft.Text(
                                "・" + (z["name_en"] if state.language == "en" else z["name"]),
                                size=state.text_size(17),
                            )
                            for z in mob.no_parking
                        ],
                    ]
                ),
                bgcolor=ft.Colors.AMBER_100,
                padding=12,
            )
        )
    shown = mob.active + [b for b in mob.bookings if b["state"] == "FINISHED"][:3]
    if not shown and not mob.shuttle_bookings:
        rows.append(paragraph(state, state.t("mobility.no_bookings")))
    rows += [_booking_card(state, mob, b, run) for b in shown]
    for sb in mob.shuttle_bookings:
        if sb["state"] != "CONFIRMED":
            continue
        rows.append(
            ft.Card(
                content=ft.Container(
                    ft.Column(
                        [
                            paragraph(
                                state,
                                sb["summary_en"] if state.language == "en" else sb["summary_ja"],
                            ),
                            ft.TextButton(
                                state.t("mobility.cancel"),
                                height=56,
                                on_click=_later(run, mob.cancel_shuttle, sb["id"]),
                            ),
                        ]
                    ),
                    padding=16,
                )
            )
        )
    return rows


def _shuttle(state: AppState, mob: MobilityState, session: Session, run: Run) -> list[ft.Control]:
    size = state.text_size(22)
    rows: list[ft.Control] = [paragraph(state, state.t("mobility.shuttle_intro"))]
    if not session.signed_in:
        return [*rows, sign_in_button(state, session)]
    if mob.confirmation:
        text = mob.confirmation["summary_en" if state.language == "en" else "summary_ja"]
        return [
            ft.Semantics(
                identifier="shuttle-confirmation",
                content=ft.Container(
                    ft.Text(text, size=size, weight=ft.FontWeight.BOLD),
                    bgcolor=ft.Colors.GREEN_100,
                    padding=20,
                ),
            ),
            _big(state.t("mobility.done"), lambda: run(mob.load_services)),
        ]
    if len(mob.services) > 1:
        rows.append(
            ft.Row(
                [
                    _big(
                        s["name_en"] if state.language == "en" else s["name"],
                        _later(run, mob.pick_service, s["id"]),
                    )
                    for s in mob.services
                ],
                wrap=True,
            )
        )
    service = mob.service()
    if service:
        rows.append(ft.Text(state.t("mobility.which_stop"), size=size))
        for stop in service["stops"]:
            chosen = stop["stop_id"] == mob.stop_id
            rows.append(
                ft.Button(
                    content=ft.Text(
                        ("✓ " if chosen else "")
                        + (stop["name_en"] if state.language == "en" else stop["name"]),
                        size=size,
                    ),
                    height=72,
                    on_click=_later(run, mob.choose_stop, stop["stop_id"]),
                )
            )
    if mob.stop_id:
        rows.append(ft.Text(state.t("mobility.which_time"), size=size))
        if mob.slots_tomorrow:
            rows.append(paragraph(state, state.t("mobility.tomorrow")))
        for slot in mob.slots:
            label = (
                f"{_hm(slot['pickup_at'])} {state.t('mobility.pickup')} → "
                f"{_hm(slot['dropoff_at'])} {state.t('mobility.arrive')}"
            )
            rows.append(
                ft.Button(
                    content=ft.Text(label, size=size),
                    height=72,
                    on_click=_later(run, mob.book_shuttle, slot["slot_start"]),
                )
            )
        if not mob.slots:
            rows.append(paragraph(state, state.t("mobility.no_slots")))
    return rows


def mobility_screen(
    state: AppState,
    mob: MobilityState,
    session: Session,
    run: Run,
    operator: OperatorState | None = None,
) -> ft.Control:
    if operator is not None and session.me is not None and is_operator(session.me.role):
        return operator_screen(state, operator, run)
    tabs = ft.Row(
        [
            ft.Button(
                content=ft.Text(state.t(f"mobility.tab.{name}"), size=state.text_size(17)),
                height=56,
                style=ft.ButtonStyle(bgcolor=ft.Colors.BLUE_100 if mob.view == name else None),
                on_click=_later(run, _switch, mob, name),
            )
            for name in ("nearby", "bookings", "shuttle")
        ],
        wrap=True,
    )
    rows: list[ft.Control] = [heading(state, "mobility.title"), tabs]
    if mob.busy:
        rows.append(ft.ProgressRing())
    if mob.notice:
        rows.append(paragraph(state, state.t(f"mobility.notice.{mob.notice}")))
    if mob.error:
        rows.append(
            ft.Semantics(
                identifier="mobility-error",
                content=ft.Text(mob.error, color=ft.Colors.RED_800, size=state.text_size(17)),
            )
        )
    if mob.view == "bookings":
        rows += _bookings(state, mob, session, run)
    elif mob.view == "shuttle":
        rows += _shuttle(state, mob, session, run)
    else:
        rows += _nearby(state, mob, session, run)
    return ft.Column(rows, spacing=12, scroll=ft.ScrollMode.AUTO, expand=True)


async def _switch(mob: MobilityState, name: str) -> None:
    mob.view, mob.notice, mob.error, mob.no_parking = name, None, None, []
    if name == "bookings":
        await mob.load_bookings()
    elif name == "shuttle":
        if not mob.services:
            await mob.load_services()
    else:
        await mob.load_nearby()
    mob.on_change()
