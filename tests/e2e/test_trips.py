"""A resident plans a trip on the demo feed in the web client, in Japanese."""

import re
from typing import Any

from playwright.sync_api import expect

PHONE = (412, 915)


def choose_stop(page: Any, label: str, typed: str, stop_name: str) -> None:
    field = page.get_by_label(label)
    field.click()
    page.keyboard.type(typed)
    suggestion = page.get_by_role("button", name=re.compile(rf"^{stop_name}")).first
    expect(suggestion).to_be_visible(timeout=15_000)
    suggestion.click()


def test_a_resident_finds_a_train_from_omika_to_hitachi(
    browser: Any, live_server: str, flutter: Any
) -> None:
    page = flutter.open_app(browser, live_server, *PHONE)

    choose_stop(page, "出発地（駅・バス停）", "おおみか", "大甕駅")
    choose_stop(page, "目的地（駅・バス停）", "hitachi", "日立駅")
    # A morning time, so the test does not depend on the hour it runs at (trains stop at night).
    page.get_by_label("時刻（例 8:30、空欄なら今）").click()
    page.keyboard.type("8:30")
    page.get_by_role("button", name=re.compile("^経路を探す")).click()

    results = page.get_by_role("button", name=re.compile(r"^\d{1,2}:\d{2} → .*分"))
    expect(results.first).to_be_visible(timeout=30_000)
    # Morning trains run every 15-30 minutes: several alternatives, the first leaving near 8:30.
    assert results.count() >= 2
    assert re.match(r"^0?8:[3-5]\d|^0?9:", results.first.inner_text())

    # Opening it shows the legs and a map; with no internet here, the route lines alone.
    results.first.click()
    expect(page.locator('[flt-semantics-identifier="route-map"]')).to_have_count(1, timeout=15_000)
    expect(page.locator('[flt-semantics-identifier="map-offline"]')).to_contain_text("経路の線")
    page.mouse.move(200, 400)
    page.mouse.wheel(0, 700)
    flutter.screenshot(page, "phone-trips-itinerary-map-ja")
    flutter.screenshot(page, "phone-trips-results-ja")
    page.context.close()
