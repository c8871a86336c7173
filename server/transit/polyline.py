"""Google's encoded polyline format (precision 5), as OTP's legGeometry.points uses."""

from collections.abc import Iterable


def _encode_value(value: int, out: list[str]) -> None:
    value = ~(value << 1) if value < 0 else value << 1
    while value >= 0x20:
        out.append(chr((0x20 | (value & 0x1F)) + 63))
        value >>= 5
    out.append(chr(value + 63))


def encode(points: Iterable[tuple[float, float]], precision: int = 5) -> str:
    """Encode (lat, lon) points; each value is the rounded delta from the previous point."""
    factor = 10**precision
    out: list[str] = []
    previous_lat = previous_lon = 0
    for lat, lon in points:
        ilat, ilon = round(lat * factor), round(lon * factor)
        _encode_value(ilat - previous_lat, out)
        _encode_value(ilon - previous_lon, out)
        previous_lat, previous_lon = ilat, ilon
    return "".join(out)


def decode(text: str, precision: int = 5) -> list[tuple[float, float]]:
    """The inverse of `encode` (used by tests and the OTP mapping)."""
    factor = 10**precision
    values: list[int] = []
    shift = result = 0
    for char in text:
        byte = ord(char) - 63
        result |= (byte & 0x1F) << shift
        shift += 5
        if byte < 0x20:
            values.append(~(result >> 1) if result & 1 else result >> 1)
            shift = result = 0
    points: list[tuple[float, float]] = []
    lat = lon = 0
    for i in range(0, len(values) - 1, 2):
        lat += values[i]
        lon += values[i + 1]
        points.append((lat / factor, lon / factor))
    return points
