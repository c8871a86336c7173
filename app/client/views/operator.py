"""The operator's fleet screen (tablet and desktop first, still usable on a phone): the fleet as a
table with status and type filters, the current bookings, and a button per vehicle to take it out
of service or put it back, confirmed in a dialog; the server's refusal is shown as it is."""

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import flet as ft

from app.client.operator import VEHICLE_STATUSES, OperatorState, StatusChange
from app.client.state import AppState
from app.client.views.common import heading, paragraph

LOCAL_TZ = ZoneInfo("Asia/Tokyo")
Run = Callable[[Callable[[], Awaitable[Any]]], None]
BUTTON_HEIGHT = 56
STATUS_COLOURS = {
    "available": ft.Colors.GREEN_100,
    "reserved": ft.Colors.AMBER_100,
    "in_use": ft.Colors.BLUE_100,
    "disabled": ft.Colors.GREY_300,
    "maintenance": ft.Colors.ORANGE_100,
}


def _when(iso: str | None) -> str:
    if not iso:
        return "—"
    moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    if moment.tzinfo is None:  # the server stores UTC
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    return moment.astimezone(LOCAL_TZ).strftime("%m/%d %H:%M")


def _chip(label: str, chosen: bool, on_click: Callable[[], Any], size: float) -> ft.Control:
    return ft.Button(
        content=ft.Text(("✓ " if chosen else "") + label, size=size),
        height=BUTTON_HEIGHT,
        style=ft.ButtonStyle(bgcolor=ft.Colors.BLUE_100 if chosen else None),
        on_click=on_click,
    )


def _filters(state: AppState, op: OperatorState) -> list[ft.Control]:
    size = state.text_size(17)

    def by_status(status: str | None) -> Callable[[], None]:
        return lambda: op.filter_status(status)

    def by_type(type_id: str | None) -> Callable[[], None]:
        return lambda: op.filter_type(type_id)

    statuses = [_chip(state.t("operator.all"), op.status_filter is None, by_status(None), size)]
    statuses += [
        _chip(
            f"{state.t('operator.status.' + s)} ({op.count(s)})",
            op.status_filter == s,
            by_status(s),
            size,
        )
        for s in VEHICLE_STATUSES
    ]
    types = [_chip(state.t("operator.all"), op.type_filter is None, by_type(None), size)]
    types += [
        _chip(en if state.language == "en" else ja, op.type_filter == tid, by_type(tid), size)
        for tid, ja, en in op.types
    ]
    return [
        ft.Text(state.t("operator.filter_status"), size=size),
        ft.Row(statuses, wrap=True),
        ft.Text(state.t("operator.filter_type"), size=size),
        ft.Row(types, wrap=True),
    ]


Cols = dict[str | ft.ResponsiveRowBreakpoint, int | float]


def _cell(text: str, cols: Cols, size: float, bold: bool = False) -> ft.Control:
    return ft.Container(
        ft.Text(text, size=size, weight=ft.FontWeight.BOLD if bold else None),
        col=cols,
        padding=ft.Padding.symmetric(vertical=4),
    )


def _position(state: AppState, op: OperatorState, v: dict[str, Any]) -> str:
    station = op.stations.get(v["station_id"] or "")
    if station:
        return str(station["name_en"] if state.language == "en" else station["name"])
    return f"{v['lat']:.5f}, {v['lon']:.5f}"


def confirm_dialog(
    state: AppState,
    change: StatusChange,
    confirm: Callable[[], Awaitable[None]],
    cancel: Callable[[], None],
) -> ft.AlertDialog:
    """「…を運休にしますか？」: the operator confirms a status change before it is sent."""
    key = "operator.confirm_in" if change.status == "available" else "operator.confirm_out"
    return ft.AlertDialog(
        modal=True,
        title=ft.Text(state.t(key).format(code=change.vehicle_code), size=state.text_size(22)),
        content=ft.Text(state.t(key + "_body"), size=state.text_size(18)),
        actions=[
            ft.Semantics(
                identifier="operator-confirm",
                content=ft.Button(
                    content=ft.Text(state.t("operator.yes"), size=state.text_size(18)),
                    height=BUTTON_HEIGHT,
                    on_click=confirm,
                ),
            ),
            ft.TextButton(
                content=ft.Text(state.t("operator.no"), size=state.text_size(18)),
                height=BUTTON_HEIGHT,
                on_click=cancel,
            ),
        ],
    )


def _ask_handler(state: AppState, op: OperatorState, v: dict[str, Any]) -> Callable[[], None]:
    vehicle_id, status = v["id"], op.next_status(v)

    def ask() -> None:
        change = op.ask(vehicle_id, status)
        if change is None:
            return
        page = ft.context.page

        async def yes() -> None:
            page.pop_dialog()
            await op.confirm()

        def no() -> None:
            page.pop_dialog()
            op.dismiss()

        page.show_dialog(confirm_dialog(state, change, yes, no))

    return ask


def _vehicle_row(state: AppState, op: OperatorState, v: dict[str, Any]) -> ft.Control:
    size = state.text_size(17)
    name = v["type_name_en"] if state.language == "en" else v["type_name"]
    battery = "—" if v.get("battery_percent") is None else f"{v['battery_percent']}%"
    back = op.next_status(v) == "available"
    button = ft.Semantics(
        identifier=f"operator-toggle-{v['id']}",
        content=ft.Button(
            content=ft.Text(
                state.t("operator.put_back" if back else "operator.take_out"), size=size
            ),
            icon=ft.Icons.PLAY_ARROW if back else ft.Icons.BLOCK,
            height=BUTTON_HEIGHT,
            on_click=_ask_handler(state, op, v),
        ),
    )
    return ft.Container(
        ft.ResponsiveRow(
            [
                _cell(v["code"], {"xs": 6, "md": 2}, state.text_size(18), bold=True),
                _cell(name, {"xs": 6, "md": 2}, size),
                ft.Container(
                    ft.Text(state.t("operator.status." + v["status"]), size=size),
                    bgcolor=STATUS_COLOURS.get(v["status"]),
                    padding=ft.Padding.symmetric(horizontal=8, vertical=4),
                    col={"xs": 6, "md": 1},
                ),
                _cell(f"{state.t('mobility.battery')} {battery}", {"xs": 6, "md": 1}, size),
                _cell(_position(state, op, v), {"xs": 12, "md": 2}, size),
                _cell(_when(v.get("last_reported")), {"xs": 6, "md": 2}, size),
                ft.Container(button, col={"xs": 6, "md": 2}),
            ],
            vertical_alignment=ft.CrossAxisAlignment.CENTER,
        ),
        border=ft.Border.only(bottom=ft.BorderSide(1, ft.Colors.GREY_300)),
        padding=ft.Padding.symmetric(vertical=6),
    )


def _price(state: AppState, b: dict[str, Any]) -> str:
    if b.get("final_price") is not None:
        return f"¥{b['final_price']}"
    price = b.get("price") or {}
    return f"¥{price.get('unlock_price', 0)} + ¥{price.get('per_minute', 0)}/{state.t('trips.min')}"


def _booking_row(state: AppState, b: dict[str, Any]) -> ft.Control:
    size = state.text_size(17)
    times = " → ".join(
        _when(b.get(k)) for k in ("created_at", "started_at", "ended_at") if b.get(k)
    )
    if b["state"] in ("PENDING", "CONFIRMED") and b.get("expires_at"):
        times += f" ({state.t('mobility.until')} {_when(b['expires_at'])})"
    return ft.Container(
        ft.ResponsiveRow(
            [
                _cell(state.t("mobility.state." + b["state"]), {"xs": 6, "md": 2}, size, True),
                _cell(b["vehicle_code"], {"xs": 6, "md": 2}, size),
                _cell(times, {"xs": 12, "md": 5}, size),
                _cell(_price(state, b), {"xs": 12, "md": 3}, size),
            ]
        ),
        border=ft.Border.only(bottom=ft.BorderSide(1, ft.Colors.GREY_300)),
        padding=ft.Padding.symmetric(vertical=6),
    )


def _header(state: AppState, keys: list[tuple[str, Cols]]) -> ft.Control:
    return ft.ResponsiveRow(
        [_cell(state.t(k), cols, state.text_size(15), bold=True) for k, cols in keys]
    )


def operator_screen(state: AppState, op: OperatorState, run: Run) -> ft.Control:
    if not op.started:
        op.started = True
        run(op.load)
    size = state.text_size(18)
    rows: list[ft.Control] = [
        heading(state, "operator.title"),
        ft.Row(
            [
                ft.Button(
                    content=ft.Text(state.t("operator.reload"), size=size),
                    icon=ft.Icons.REFRESH,
                    height=BUTTON_HEIGHT,
                    on_click=lambda: run(op.load),
                )
            ]
        ),
    ]
    if op.busy:
        rows.append(ft.ProgressRing())
    if op.error:
        rows.append(
            ft.Semantics(
                identifier="operator-error",
                content=ft.Container(
                    ft.Row(
                        [
                            ft.Icon(ft.Icons.ERROR, color=ft.Colors.RED_800, size=32),
                            ft.Text(
                                f"{state.t('operator.refused')} {op.error}",
                                size=size,
                                weight=ft.FontWeight.BOLD,
                                color=ft.Colors.RED_900,
                                expand=True,
                            ),
                        ]
                    ),
                    bgcolor=ft.Colors.RED_50,
                    border=ft.Border.all(2, ft.Colors.RED_800),
                    padding=16,
                ),
            )
        )
    if op.notice:
        rows.append(
            ft.Semantics(
                identifier="operator-notice",
                content=ft.Container(
                    paragraph(state, state.t("operator.notice." + op.notice)),
                    bgcolor=ft.Colors.GREEN_100,
                    padding=12,
                ),
            )
        )
    rows += _filters(state, op)
    shown = op.shown_vehicles
    rows += [
        ft.Text(
            f"{state.t('operator.fleet')} ({len(shown)}/{len(op.vehicles)})",
            size=state.text_size(22),
            weight=ft.FontWeight.BOLD,
        ),
        _header(
            state,
            [
                ("operator.col.code", {"xs": 6, "md": 2}),
                ("operator.col.type", {"xs": 6, "md": 2}),
                ("operator.col.status", {"xs": 6, "md": 1}),
                ("operator.col.battery", {"xs": 6, "md": 1}),
                ("operator.col.position", {"xs": 12, "md": 2}),
                ("operator.col.updated", {"xs": 12, "md": 4}),
            ],
        ),
        ft.Semantics(
            identifier="operator-fleet",
            content=ft.Column([_vehicle_row(state, op, v) for v in shown], spacing=0),
        ),
    ]
    if not shown and not op.busy:
        rows.append(paragraph(state, state.t("operator.no_vehicles")))
    bookings = op.shown_bookings
    rows += [
        ft.Text(
            state.t("operator.bookings_all" if op.all_bookings else "operator.bookings_current"),
            size=state.text_size(22),
            weight=ft.FontWeight.BOLD,
        ),
        ft.Row(
            [
                _chip(
                    state.t("operator.bookings_current"),
                    not op.all_bookings,
                    lambda: op.show_all_bookings(False),
                    state.text_size(17),
                ),
                _chip(
                    state.t("operator.bookings_all"),
                    op.all_bookings,
                    lambda: op.show_all_bookings(True),
                    state.text_size(17),
                ),
            ],
            wrap=True,
        ),
        ft.Semantics(
            identifier="operator-bookings",
            content=ft.Column([_booking_row(state, b) for b in bookings], spacing=0),
        ),
    ]
    if not bookings and not op.busy:
        rows.append(paragraph(state, state.t("mobility.no_bookings")))
    return ft.Column(rows, spacing=12, scroll=ft.ScrollMode.AUTO, expand=True)
