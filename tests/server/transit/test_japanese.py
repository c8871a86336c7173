"""Kana→romaji and stop search keys: what a person types must find the stop."""

import pytest

from server.transit.japanese import fold, kana_to_romaji, search_key, search_terms


@pytest.mark.parametrize(
    ("kana", "romaji"),
    [
        ("おおみか", "omika"),
        ("ひたちたが", "hitachitaga"),
        ("じゅうおう", "juo"),
        ("かつた", "katsuta"),
        ("とうかい", "tokai"),
        ("さっぽろ", "sapporo"),
        ("まっちゃ", "matcha"),
        ("しんばし", "shinbashi"),
        ("トーキョー", "tokyo"),
        ("えともにちょうめ", "etomonichome"),
        ("ふじ", "fuji"),
    ],
)
def test_kana_to_romaji_is_hepburn_without_macrons(kana: str, romaji: str) -> None:
    assert kana_to_romaji(kana) == romaji


def test_long_vowels_can_be_kept_for_people_who_type_them() -> None:
    assert kana_to_romaji("おおみか", collapse_long_vowels=False) == "oomika"


def test_fold_handles_width_case_and_katakana() -> None:
    assert fold("ＯＭＩＫＡ") == "omika"
    assert fold("ｵｵﾐｶ") == "おおみか"
    assert fold("オオミカ") == "おおみか"


@pytest.mark.parametrize(
    "typed",
    [
        "大甕",
        "おおみか",
        "オオミカ",
        "omika",
        "Omika",
        "ＯＭＩＫＡ",
        "oomika",
        "ohmika",
        "Omika Station",
    ],
)
def test_every_script_matches_the_search_key_of_omika_station(typed: str) -> None:
    key = search_key("大甕駅", "おおみかえき", "Omika Station")

    assert any(term in key for term in search_terms(typed))


def test_an_unrelated_name_does_not_match() -> None:
    key = search_key("日立駅", "ひたちえき", "Hitachi Station")

    assert not any(term in key for term in search_terms("omika"))


def test_blank_query_has_no_terms() -> None:
    assert search_terms("  ") == []
