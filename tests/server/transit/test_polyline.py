"""The encoded polyline writer agrees with Google's published example."""

from server.transit.polyline import decode, encode


def test_encode_matches_the_reference_example() -> None:
    points = [(38.5, -120.2), (40.7, -120.95), (43.252, -126.453)]

    assert encode(points) == "_p~iF~ps|U_ulLnnqC_mqNvxq`@"


def test_decode_inverts_encode_at_five_decimals() -> None:
    points = [(36.5145, 140.61868), (36.59060, 140.65298), (36.59061, 140.65297)]

    assert decode(encode(points)) == points


def test_empty_line_is_empty() -> None:
    assert encode([]) == ""
    assert decode("") == []
