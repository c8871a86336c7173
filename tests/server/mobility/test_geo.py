"""Point-in-polygon and distances on GeoJSON coordinates."""

import pytest

from server.mobility import geo

# A concave "U" shape with a hole in its left arm: [lon, lat].
U_SHAPE = [
    [
        [[0, 0], [3, 0], [3, 3], [2, 3], [2, 1], [1, 1], [1, 3], [0, 3], [0, 0]],
        [[0.2, 1.5], [0.8, 1.5], [0.8, 2.5], [0.2, 2.5], [0.2, 1.5]],
    ]
]


@pytest.mark.parametrize(
    ("lon", "lat", "inside"),
    [
        (0.5, 0.5, True),  # the base of the U
        (2.5, 2.5, True),  # the right arm
        (1.5, 2.0, False),  # the notch of the U
        (0.5, 2.0, False),  # inside the hole
        (0.1, 2.0, True),  # the left arm beside the hole
        (4.0, 1.0, False),
        (-0.1, 0.5, False),
    ],
)
def test_point_in_concave_polygon_with_hole(lon: float, lat: float, inside: bool) -> None:
    assert geo.in_multipolygon(lon, lat, U_SHAPE) is inside


def test_box_contains_its_centre_and_not_a_point_beyond_it() -> None:
    zone = geo.box(36.5906, 140.6533, 90, 130)

    assert geo.in_multipolygon(140.6533, 36.5906, zone)
    assert not geo.in_multipolygon(140.6533, 36.5906 + 100 / 111_320, zone)


def test_haversine_hitachi_to_taga_is_about_five_km() -> None:
    metres = geo.haversine_m(36.5906, 140.6531, 36.55209, 140.63238)

    assert 4_500 < metres < 4_800


def test_validate_multipolygon_names_the_problem() -> None:
    with pytest.raises(ValueError, match="not closed"):
        geo.validate_multipolygon([[[[0, 0], [1, 0], [1, 1], [0, 1]]]])
