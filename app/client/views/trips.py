"""The trips screen: from/to with stop autocomplete, time and options, results, itinerary legs."""

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import flet as ft

from app.client.maps import decode_polyline
from app.client.state import AppState
from app.client.trips import TripPlace, TripsState, clock, minutes
from app.client.views.common import heading
from app.client.views.maps import route_map

LOCAL_TZ = ZoneInfo("Asia/Tokyo")

MODE_ICONS = {
    "WALK": ft.Icons.DIRECTIONS_WALK,
    "RAIL": ft.Icons.TRAIN,
    "SUBWAY": ft.Icons.SUBWAY,
    "BUS": ft.Icons.DIRECTIONS_BUS,
    "TRAM": ft.Icons.TRAM,
    "FERRY": ft.Icons.DIRECTIONS_BOAT,
    "SCOOTER_RENTAL": ft.Icons.ELECTRIC_SCOOTER,
    "BICYCLE_RENTAL": ft.Icons.ELECTRIC_BIKE,
    "SHUTTLE": ft.Icons.AIRPORT_SHUTTLE,
}


def _place_field(
    state: AppState,
    trips: TripsState,
    key: str,
    current: TripPlace | None,
    choose: Callable[[TripPlace], None],
) -> ft.Control:
    def pick(stop: dict[str, Any]) -> Callable[[], None]:
        def run() -> None:
            choose(TripPlace.from_stop(stop))
            trips.typed.pop(key, None)
            trips.suggestions = []
            trips.on_change()

        return run

    def suggestion_tiles() -> list[ft.Control]:
        return [
            ft.ListTile(
                title=ft.Text(str(s["name"]), size=state.text_size(18)),
                subtitle=ft.Text(str(s.get("name_kana") or ""), size=state.text_size(14)),
                on_click=pick(s),
                min_height=56,
            )
            for s in trips.suggestions[:5]
        ]

    suggestions = ft.Column(suggestion_tiles() if trips.typed.get(key) else [])

    async def on_change(e: ft.Event[ft.TextField]) -> None:
        text = str(e.control.value or "")
        # Only the suggestions under this field change while typing: redrawing the screen
        # would take the keyboard focus away mid-word.
        trips.typed[key] = text
        await trips.suggest(text, state.language)
        if trips.typed.get(key) == text:  # a slower answer for an older text is dropped
            suggestions.controls = suggestion_tiles()

    field = ft.TextField(
        label=state.t(key),
        value=trips.typed.get(key, current.label if current else ""),
        text_size=state.text_size(20),
        on_change=on_change,
    )
    return ft.Column([field, suggestions])


def _time_field(state: AppState, trips: TripsState) -> ft.Control:
    def on_change(e: ft.Event[ft.TextField]) -> None:
        ok = trips.set_time(str(e.control.value or ""), datetime.now(LOCAL_TZ))
        e.control.error = None if ok else state.t("trips.time_invalid")

    return ft.TextField(
        label=state.t("trips.time"),
        value=trips.when.strftime("%H:%M") if trips.when else "",
        text_size=state.text_size(20),
        keyboard_type=ft.KeyboardType.DATETIME,
        on_change=on_change,
    )


def _itinerary_map(state: AppState, trips: TripsState, it: dict[str, Any]) -> ft.Control:
    lines = [
        (
            decode_polyline(leg["geometry"])
            if leg.get("geometry")
            else [
                (leg["from"]["lat"], leg["from"]["lon"]),
                (leg["to"]["lat"], leg["to"]["lon"]),
            ],
            (leg.get("route") or {}).get("color"),
            str(leg["mode"]),
        )
        for leg in it["legs"]
    ]
    return route_map(state, lines, trips.tile_url, trips.tiles_ok)


def _itinerary_card(state: AppState, trips: TripsState, index: int) -> ft.Control:
    it = trips.itineraries[index]
    saved = it["co2_saved_g"]
    modes: list[ft.Control] = [
        ft.Icon(MODE_ICONS.get(leg["mode"], ft.Icons.COMMUTE)) for leg in it["legs"]
    ]

    def select() -> None:
        trips.selected = None if trips.selected == index else index
        trips.on_change()

    body: list[ft.Control] = [
        ft.Text(
            f"{clock(it['start'])} → {clock(it['end'])}  "
            f"({minutes(it['duration_s'])}{state.t('trips.min')})",
            size=state.text_size(22),
            weight=ft.FontWeight.BOLD,
        ),
        ft.Row(modes, wrap=True),
        ft.Text(
            f"{state.t('trips.transfers')} {it['transfers']} · {state.t('trips.walk')} "
            f"{round(it['walk_distance_m'])} m · "
            f"{state.t('trips.co2_saved')} {saved / 1000:.2f} kg",
            size=state.text_size(16),
        ),
    ]
    if trips.selected == index:
        body.append(_itinerary_map(state, trips, it))
        for leg in it["legs"]:
            route = leg.get("route") or {}
            line = route.get("short_name") or state.t("trips.walk")
            body.append(
                ft.ListTile(
                    leading=ft.Icon(MODE_ICONS.get(leg["mode"], ft.Icons.COMMUTE)),
                    title=ft.Text(
                        f"{clock(leg['start'])} {leg['from']['name'] or state.t('trips.origin')}",
                        size=state.text_size(18),
                    ),
                    subtitle=ft.Text(
                        f"{line}"
                        + (
                            f" {leg['headsign']}{state.t('trips.bound')}"
                            if leg.get("headsign")
                            else ""
                        )
                        + f" → {clock(leg['end'])} "
                        + (leg["to"]["name"] or state.t("trips.destination")),
                        size=state.text_size(16),
                    ),
                )
            )
            book = trips.book_leg
            if leg.get("booking") and book is not None:

                def book_this(
                    leg: dict[str, Any] = leg,
                    book: Callable[[dict[str, Any]], Awaitable[Any]] = book,
                ) -> Callable[[], Awaitable[None]]:
                    # No parameter on the handler itself: Flet would pass it the click event.
                    async def run() -> None:
                        await book(leg)

                    return run

                body.append(
                    ft.Semantics(
                        identifier=f"book-{leg['mode'].lower()}",
                        content=ft.Button(
                            content=ft.Text(state.t("trips.book"), size=state.text_size(18)),
                            icon=MODE_ICONS.get(leg["mode"], ft.Icons.COMMUTE),
                            height=56,
                            on_click=book_this(),
                        ),
                    )
                )
    return ft.Card(
        content=ft.Container(ft.Column(body, spacing=6), padding=16, on_click=select),
    )


def trips_screen(
    state: AppState, trips: TripsState, search: Callable[[], Awaitable[None]]
) -> ft.Control:
    def set_origin(place: TripPlace) -> None:
        trips.origin = place

    def set_destination(place: TripPlace) -> None:
        trips.destination = place

    def toggle(name: str) -> Callable[[ft.Event[ft.Switch]], None]:
        def run(e: ft.Event[ft.Switch]) -> None:
            setattr(trips, name, bool(e.control.value))

        return run

    rows: list[ft.Control] = [
        heading(state, "trips.title"),
        _place_field(state, trips, "trips.from", trips.origin, set_origin),
        ft.IconButton(ft.Icons.SWAP_VERT, tooltip=state.t("trips.swap"), on_click=trips.swap),
        _place_field(state, trips, "trips.to", trips.destination, set_destination),
        _time_field(state, trips),
        ft.Switch(
            label=state.t("trips.arrive_by"), value=trips.arrive_by, on_change=toggle("arrive_by")
        ),
        ft.Switch(
            label=state.t("trips.wheelchair"),
            value=trips.wheelchair,
            on_change=toggle("wheelchair"),
        ),
        ft.Switch(
            label=state.t("trips.slow_walking"),
            value=trips.slow_walking,
            on_change=toggle("slow_walking"),
        ),
        ft.Switch(
            label=state.t("trips.fewer_transfers"),
            value=trips.fewer_transfers,
            on_change=toggle("fewer_transfers"),
        ),
        ft.Button(state.t("trips.search"), icon=ft.Icons.SEARCH, on_click=search, height=56),
    ]
    if trips.busy:
        rows.append(ft.ProgressRing())
    if trips.error:
        rows.append(ft.Text(trips.error, color=ft.Colors.RED_800, size=state.text_size(16)))
    if not trips.busy and trips.reason and not trips.itineraries:
        rows.append(ft.Text(state.t("trips.none"), size=state.text_size(18)))
    rows += [_itinerary_card(state, trips, i) for i in range(len(trips.itineraries))]
    if trips.store.recent and not trips.itineraries:
        rows.append(
            ft.Text(state.t("trips.recent"), size=state.text_size(18), weight=ft.FontWeight.BOLD)
        )
        for origin, destination in trips.store.recent[:5]:

            def again(o: TripPlace, d: TripPlace) -> Callable[[], None]:
                # Flet passes the click event to a handler that takes arguments: bind by closure.
                def run() -> None:
                    trips.origin, trips.destination = o, d
                    trips.on_change()

                return run

            rows.append(
                ft.ListTile(
                    title=ft.Text(
                        f"{origin.label} → {destination.label}", size=state.text_size(18)
                    ),
                    on_click=again(origin, destination),
                    min_height=56,
                )
            )
    return ft.Column(rows, spacing=12, scroll=ft.ScrollMode.AUTO, expand=True)
