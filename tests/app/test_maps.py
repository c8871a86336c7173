"""Map data in the app: the server's leg shapes decode to the same points; tiles need a network."""

import httpx
import pytest

from app.client.maps import bounds, decode_polyline, tiles_reachable
from server.transit.polyline import encode

SHAPE = [(36.5145, 140.61868), (36.55209, 140.63226), (36.5906, 140.65298), (36.0, 139.9999)]


def test_the_app_decodes_what_the_server_encodes() -> None:
    decoded = decode_polyline(encode(SHAPE))

    assert len(decoded) == len(SHAPE)
    for (lat, lon), (want_lat, want_lon) in zip(decoded, SHAPE, strict=True):
        assert lat == pytest.approx(want_lat, abs=1e-5)
        assert lon == pytest.approx(want_lon, abs=1e-5)


def test_bounds_surround_every_point() -> None:
    assert bounds(SHAPE) == ((36.0, 139.9999), (36.5906, 140.65298))
    assert bounds([]) is None


async def test_tiles_are_reachable_when_the_world_tile_answers() -> None:
    asked: list[str] = []

    def serve(request: httpx.Request) -> httpx.Response:
        asked.append(str(request.url))
        return httpx.Response(200, content=b"png")

    ok = await tiles_reachable("https://tiles.test/{z}/{x}/{y}.png", httpx.MockTransport(serve))

    assert ok
    assert asked == ["https://tiles.test/0/0/0.png"]


async def test_no_network_means_no_tiles_and_the_map_says_so() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("no route to host", request=request)

    assert not await tiles_reachable(
        "https://tiles.test/{z}/{x}/{y}.png", httpx.MockTransport(refuse)
    )
    assert not await tiles_reachable("")
