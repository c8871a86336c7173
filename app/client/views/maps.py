"""A small route map: leg shapes and end points over the tile layer, or alone when offline."""

import math

import flet as ft
import flet_map as fm

from app.client.maps import Point, bounds
from app.client.state import AppState

# Line colours by mode: transit in the route's own colour when it has one.
MODE_COLOURS = {"WALK": ft.Colors.GREY_700, "BUS": ft.Colors.GREEN_700, "RAIL": ft.Colors.BLUE_800}
DEFAULT_COLOUR = ft.Colors.DEEP_ORANGE_700


# The narrowest a map gets (a phone in portrait, inside a card): the fit must hold there.
MIN_WIDTH_PX = 300
TILE_PX = 256


def fit_zoom(corners: tuple[Point, Point], width_px: int, height_px: int) -> float:
    """The web-Mercator zoom at which the box fits, with a margin (flet-map's camera fit did
    not apply on first draw in the web client, so the map is opened at this zoom instead)."""
    (south, west), (north, east) = corners
    stretch = 1 / max(0.2, math.cos(math.radians((south + north) / 2)))
    spans = (
        (max(east - west, 1e-4), width_px),
        (max((north - south) * stretch, 1e-4), height_px),
    )
    zoom = min(math.log2(pixels * 360 / (TILE_PX * span)) for span, pixels in spans)
    return max(3.0, min(17.0, zoom - 0.6))


def _marker(point: Point, icon: ft.IconData, colour: str) -> fm.Marker:
    return fm.Marker(
        content=ft.Icon(icon, color=colour, size=32),
        coordinates=fm.MapLatitudeLongitude(*point),
        width=36,
        height=36,
    )


def route_map(
    state: AppState,
    lines: list[tuple[list[Point], str | None, str]],
    tile_url: str,
    tiles_ok: bool,
    height: int = 260,
) -> ft.Control:
    """`lines` are (points, route colour "RRGGBB" or None, mode). Without tiles the shapes
    still show on a plain background, with a note saying why the map itself is missing."""
    everything = [p for points, _c, _m in lines for p in points]
    corners = bounds(everything)
    if corners is None:
        return ft.Container()
    layers: list[fm.MapLayer] = []
    if tiles_ok:
        layers.append(fm.TileLayer(url_template=tile_url, user_agent_package_name="jp.machi"))
    layers.append(
        fm.PolylineLayer(
            polylines=[
                fm.PolylineMarker(
                    coordinates=[fm.MapLatitudeLongitude(*p) for p in points],
                    color=f"#{colour}" if colour else MODE_COLOURS.get(mode, DEFAULT_COLOUR),
                    stroke_width=5,
                )
                for points, colour, mode in lines
                if len(points) > 1
            ]
        )
    )
    layers.append(
        fm.MarkerLayer(
            markers=[
                _marker(everything[0], ft.Icons.TRIP_ORIGIN, ft.Colors.GREEN_800),
                _marker(everything[-1], ft.Icons.PLACE, ft.Colors.RED_800),
            ]
        )
    )
    (south, west), (north, east) = corners
    the_map = fm.Map(
        height=height,
        bgcolor=ft.Colors.BLUE_GREY_50,
        initial_center=fm.MapLatitudeLongitude((south + north) / 2, (west + east) / 2),
        initial_zoom=fit_zoom(corners, width_px=MIN_WIDTH_PX, height_px=height),
        layers=layers,
    )
    parts: list[ft.Control] = [ft.Semantics(identifier="route-map", content=the_map)]
    if not tiles_ok:
        parts.append(
            ft.Semantics(
                identifier="map-offline",
                content=ft.Text(state.t("map.no_tiles"), size=state.text_size(14)),
            )
        )
    return ft.Column(parts, spacing=4)
