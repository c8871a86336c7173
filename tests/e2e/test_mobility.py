"""The 乗り物 tab in the web client: nearby vehicles with no sign-in, and a commuter who plans
大甕駅 → 金沢団地, gets rail + e-scooter and books the scooter from the itinerary."""

import re
from typing import Any

from playwright.sync_api import expect

PHONE = (412, 915)
PASSWORD = "machi-demo-2026"


def node(page: Any, identifier: str) -> Any:
    return page.locator(f'[flt-semantics-identifier="{identifier}"]')


def shows(page: Any, pattern: str) -> Any:
    """Text on its own, or inside a card (Flutter merges a card's texts into one group)."""
    regex = re.compile(pattern)
    return page.get_by_text(regex).or_(page.get_by_role("group", name=regex)).first


def choose_stop(page: Any, label: str, typed: str, stop_name: str) -> None:
    field = page.get_by_label(label)
    field.click()
    # fill(), not keyboard typing: after the sign-in redirect the re-attached Flutter page
    # does not deliver synthetic key presses to the focused field (fill sets its value).
    field.fill(typed)
    suggestion = page.get_by_role("button", name=re.compile(rf"^{stop_name}")).first
    expect(suggestion).to_be_visible(timeout=15_000)
    suggestion.click()


def test_nearby_vehicles_are_listed_without_signing_in(
    browser: Any, live_server: str, flutter: Any
) -> None:
    page = flutter.open_app(browser, live_server, *PHONE)

    page.get_by_role("tab", name="乗り物").click()

    expect(node(page, "section-title")).to_have_text("シェアの乗り物", timeout=15_000)
    expect(shows(page, r"電池 \d+%")).to_be_visible(timeout=30_000)
    expect(node(page, "sign-in")).to_be_visible()
    flutter.screenshot(page, "phone-mobility-nearby-ja")
    page.get_by_role("button", name="常陸多賀駅").click()
    expect(shows(page, r"KS-0(0[89]|1\d) 電池")).to_be_visible(timeout=30_000)
    page.context.close()


def test_a_commuter_books_the_e_scooter_from_a_rail_itinerary(
    browser: Any, live_server: str, flutter: Any
) -> None:
    page = flutter.open_app(browser, live_server, *PHONE)
    page.get_by_role("tab", name="設定").click()
    node(page, "sign-in").click()
    page.wait_for_url(re.compile(r"/oauth/authorize\?"), timeout=30_000)
    page.fill("#username", "taro")
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name=re.compile("サインイン")).click()
    page.wait_for_url(re.compile(r"/callback\?code="), timeout=30_000)
    page.wait_for_selector("#loading", state="detached", timeout=60_000)
    flutter.enable_semantics(page)
    expect(node(page, "account-name")).to_be_visible(timeout=30_000)

    page.get_by_role("tab", name="移動").click()
    choose_stop(page, "出発地（駅・バス停）", "おおみか", "大甕駅")
    choose_stop(page, "目的地（駅・バス停）", "かねさわだんち", "金沢団地")
    time_field = page.get_by_label("時刻（例 8:30、空欄なら今）")
    time_field.click()
    time_field.fill("8:00")
    page.get_by_role("button", name=re.compile("^経路を探す")).click()
    results = page.get_by_role("button", name=re.compile(r"^\d{1,2}:\d{2} → .*分"))
    expect(results.first).to_be_visible(timeout=30_000)
    results.first.click()  # the fastest: the train to 常陸多賀, then a scooter

    book = node(page, "book-scooter_rental")
    expect(book).to_be_visible(timeout=15_000)
    flutter.screenshot(page, "phone-trips-scooter-leg-ja")
    book.click()

    expect(node(page, "section-title")).to_have_text("シェアの乗り物", timeout=15_000)
    expect(shows(page, r"KS-\d+ · 予約済み")).to_be_visible(timeout=30_000)
    flutter.screenshot(page, "phone-mobility-booked-ja")
    page.get_by_role("button", name="ロックを外す").click()
    expect(shows(page, r"KS-\d+ · 利用中")).to_be_visible(timeout=30_000)
    page.get_by_role("button", name=re.compile("^ポートに返す: 常陸多賀駅ポート")).click()
    expect(shows(page, "返却しました")).to_be_visible(timeout=30_000)
    flutter.screenshot(page, "phone-mobility-returned-ja")
    page.context.close()
