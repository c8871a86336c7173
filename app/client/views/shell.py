"""The app's frame: title bar with connection status, bottom bar (phone) or rail (tablet)."""

import flet as ft

from app.client.state import SECTIONS, AppState, Connection, Section
from app.client.views import sections

# Below this width the app uses a phone layout (bottom bar); Material's compact breakpoint.
PHONE_MAX_WIDTH = 700

ICONS: dict[Section, tuple[ft.IconData, ft.IconData]] = {
    Section.TRIPS: (ft.Icons.DIRECTIONS_TRANSIT_OUTLINED, ft.Icons.DIRECTIONS_TRANSIT),
    Section.MOBILITY: (ft.Icons.ELECTRIC_SCOOTER_OUTLINED, ft.Icons.ELECTRIC_SCOOTER),
    Section.CLINIC: (ft.Icons.VIDEO_CALL_OUTLINED, ft.Icons.VIDEO_CALL),
    Section.DIARY: (ft.Icons.FAVORITE_BORDER, ft.Icons.FAVORITE),
    Section.CARE: (ft.Icons.DIVERSITY_1_OUTLINED, ft.Icons.DIVERSITY_1),
    Section.SETTINGS: (ft.Icons.SETTINGS_OUTLINED, ft.Icons.SETTINGS),
}

STATUS_COLORS = {
    Connection.ONLINE: ft.Colors.GREEN_700,
    Connection.OFFLINE: ft.Colors.RED_700,
    Connection.CHECKING: ft.Colors.GREY_600,
}


def is_phone(width: float | None) -> bool:
    return width is not None and 0 < width < PHONE_MAX_WIDTH


def status_chip(state: AppState, compact: bool = False) -> ft.Control:
    """The connection dot; on phones without its word, so the title keeps its room."""
    label = state.t(f"status.{state.connection.value}")
    dot = ft.Icon(ft.Icons.CIRCLE, size=14, color=STATUS_COLORS[state.connection])
    parts: list[ft.Control] = [dot]
    if not compact:
        parts.append(ft.Text(label, size=state.text_size(14), color=ft.Colors.BLACK))
    return ft.Semantics(
        identifier="connection-status",
        label=label,
        content=ft.Container(
            padding=ft.Padding.symmetric(horizontal=8 if compact else 12, vertical=6),
            border_radius=20,
            bgcolor=ft.Colors.WHITE,
            tooltip=label,
            content=ft.Row(parts, spacing=6, tight=True),
        ),
    )


def build_shell(page: ft.Page, state: AppState, actions: sections.Actions) -> ft.Container:
    """(Re)build the whole frame; returns the status slot, which updates on its own."""
    index = SECTIONS.index(state.section)
    page.appbar = ft.AppBar(
        title=ft.Text(state.t("app_title"), size=state.text_size(22), weight=ft.FontWeight.BOLD),
        bgcolor=ft.Colors.BLUE_800,
        color=ft.Colors.WHITE,
        actions=[
            *(actions.app_bar_extras() if actions.app_bar_extras else []),
            status_slot := ft.Container(status_chip(state, compact=is_phone(page.width))),
            ft.Container(width=12),
        ],
    )
    body = ft.Container(
        content=sections.build_section(state, actions),
        padding=ft.Padding.symmetric(horizontal=20, vertical=16),
        expand=True,
    )

    def on_change(e: ft.Event[ft.NavigationBar] | ft.Event[ft.NavigationRail]) -> None:
        selected = e.control.selected_index
        if selected is not None:
            state.select(SECTIONS[selected])

    if is_phone(page.width):
        page.navigation_bar = ft.NavigationBar(
            selected_index=index,
            on_change=on_change,
            label_behavior=ft.NavigationBarLabelBehavior.ALWAYS_SHOW,
            destinations=[
                ft.NavigationBarDestination(
                    icon=ICONS[s][0], selected_icon=ICONS[s][1], label=state.t(f"section.{s}")
                )
                for s in SECTIONS
            ],
        )
        page.controls[:] = [body]
    else:
        page.navigation_bar = None
        rail = ft.NavigationRail(
            selected_index=index,
            on_change=on_change,
            label_type=ft.NavigationRailLabelType.ALL,
            min_width=96,
            destinations=[
                ft.NavigationRailDestination(
                    icon=ICONS[s][0], selected_icon=ICONS[s][1], label=state.t(f"section.{s}")
                )
                for s in SECTIONS
            ],
        )
        page.controls[:] = [
            ft.Row([rail, ft.VerticalDivider(width=1), body], expand=True, spacing=0)
        ]
    return status_slot
