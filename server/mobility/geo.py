"""Plane geometry on GeoJSON coordinates ([lon, lat]): distances and point-in-polygon."""

import math
from collections.abc import Sequence

Ring = Sequence[Sequence[float]]
Polygon = Sequence[Ring]  # outer ring first, then holes
MultiPolygon = Sequence[Polygon]

EARTH_RADIUS_M = 6_371_008.8


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def in_ring(lon: float, lat: float, ring: Ring) -> bool:
    """Ray casting (even-odd rule). Over a city, treating degrees as a plane is exact enough:
    zones are a few hundred metres wide and their edges are straight lines on the map."""
    inside = False
    n = len(ring)
    j = n - 1
    for i in range(n):
        xi, yi = ring[i][0], ring[i][1]
        xj, yj = ring[j][0], ring[j][1]
        if (yi > lat) != (yj > lat):
            x_cross = xi + (lat - yi) * (xj - xi) / (yj - yi)
            if lon < x_cross:
                inside = not inside
        j = i
    return inside


def in_polygon(lon: float, lat: float, polygon: Polygon) -> bool:
    """Inside the outer ring and outside every hole."""
    if not polygon or not in_ring(lon, lat, polygon[0]):
        return False
    return not any(in_ring(lon, lat, hole) for hole in polygon[1:])


def in_multipolygon(lon: float, lat: float, multipolygon: MultiPolygon) -> bool:
    return any(in_polygon(lon, lat, polygon) for polygon in multipolygon)


def validate_multipolygon(coordinates: object) -> MultiPolygon:
    """Check GeoJSON MultiPolygon coordinates; raise ValueError saying what is wrong."""
    if not isinstance(coordinates, list) or not coordinates:
        raise ValueError("a MultiPolygon needs a non-empty list of polygons")
    for p, polygon in enumerate(coordinates):
        if not isinstance(polygon, list) or not polygon:
            raise ValueError(f"polygon {p} needs at least one ring")
        for r, ring in enumerate(polygon):
            if not isinstance(ring, list) or len(ring) < 4:
                raise ValueError(f"polygon {p} ring {r} needs at least 4 positions")
            for position in ring:
                if (
                    not isinstance(position, list)
                    or len(position) < 2
                    or not all(isinstance(v, int | float) for v in position[:2])
                ):
                    raise ValueError(f"polygon {p} ring {r} has a bad position {position!r}")
                if not (-180 <= position[0] <= 180 and -90 <= position[1] <= 90):
                    raise ValueError(f"polygon {p} ring {r}: {position!r} is not [lon, lat]")
            if ring[0][:2] != ring[-1][:2]:
                raise ValueError(f"polygon {p} ring {r} is not closed")
    return coordinates


def box(lat: float, lon: float, half_height_m: float, half_width_m: float) -> MultiPolygon:
    """A rectangle around a point as MultiPolygon coordinates, counter-clockwise (RFC 7946)."""
    dlat = half_height_m / 111_320
    dlon = half_width_m / (111_320 * math.cos(math.radians(lat)))
    s, n, w, e = lat - dlat, lat + dlat, lon - dlon, lon + dlon
    ring = [[w, s], [e, s], [e, n], [w, n], [w, s]]
    return [[[[round(x, 6), round(y, 6)] for x, y in ring]]]
