"""Map data for the app: decoding leg shapes, and whether the tile server can be reached."""

import httpx

Point = tuple[float, float]


def decode_polyline(text: str, precision: int = 5) -> list[Point]:
    """(lat, lon) points of Google's encoded polyline format, as legs' `geometry` carries."""
    factor = 10.0**precision
    points: list[Point] = []
    lat = lon = 0
    index = 0
    deltas: list[int] = []
    while index < len(text):
        shift = result = 0
        while True:
            byte = ord(text[index]) - 63
            index += 1
            result |= (byte & 0x1F) << shift
            shift += 5
            if byte < 0x20:
                break
        deltas.append(~(result >> 1) if result & 1 else result >> 1)
        if len(deltas) == 2:
            lat, lon = lat + deltas[0], lon + deltas[1]
            points.append((lat / factor, lon / factor))
            deltas.clear()
    return points


def bounds(points: list[Point]) -> tuple[Point, Point] | None:
    """South-west and north-east corners around `points`."""
    if not points:
        return None
    lats = [p[0] for p in points]
    lons = [p[1] for p in points]
    return (min(lats), min(lons)), (max(lats), max(lons))


async def tiles_reachable(tile_url: str, transport: httpx.AsyncBaseTransport | None = None) -> bool:
    """Whether the tile server answers (the world tile, 3 s at most): maps need the network."""
    if not tile_url:
        return False
    world = tile_url.replace("{z}", "0").replace("{x}", "0").replace("{y}", "0")
    world = world.replace("{s}", "a")
    try:
        async with httpx.AsyncClient(transport=transport, timeout=3) as client:
            response = await client.get(world)
    except httpx.HTTPError:
        return False
    return response.status_code == 200
