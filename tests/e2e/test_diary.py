"""健康日記 in the web client: hanako signs in, records 142/88 in three taps plus the numbers,
and sees it in today's list marked high; the same screen on a tablet."""

import re
from typing import Any

from playwright.sync_api import expect

PHONE = (412, 915)
TABLET = (1280, 800)
PASSWORD = "machi-demo-2026"


def node(page: Any, identifier: str) -> Any:
    return page.locator(f'[flt-semantics-identifier="{identifier}"]')


def test_hanako_records_142_over_88_and_sees_it_today_marked_high(
    browser: Any, live_server: str, flutter: Any
) -> None:
    page = flutter.open_app(browser, live_server, *PHONE)
    page.get_by_role("tab", name=re.compile("^健康日記")).click()
    expect(node(page, "section-title")).to_have_text("健康日記")
    node(page, "sign-in").click()
    page.wait_for_url(re.compile(r"/oauth/authorize\?"), timeout=30_000)
    page.fill("#username", "hanako")
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name=re.compile("サインイン")).click()
    page.wait_for_url(re.compile(r"/callback\?code="), timeout=30_000)
    page.wait_for_selector("#loading", state="detached", timeout=60_000)
    flutter.enable_semantics(page)
    # Back on the diary, with her months of demo readings in the chart.
    expect(node(page, "section-title")).to_have_text("健康日記", timeout=30_000)
    expect(node(page, "diary-chart")).to_have_count(1, timeout=30_000)

    # Three taps plus the numbers: upper field, lower field, 「記録する」. The numbers go in with
    # fill(): after the sign-in redirect the re-attached Flutter page may not deliver
    # synthetic key presses to the focused field.
    upper = page.get_by_role("textbox", name="上（最高）")
    upper.click()
    upper.fill("142")
    lower = page.get_by_role("textbox", name="下（最低）")
    lower.click()
    lower.fill("88")
    node(page, "diary-record-bp").click()

    # Sent at once, or (on a slow or lost connection) kept on the device as 未送信.
    expect(node(page, "diary-saved")).to_contain_text("記録しました", timeout=30_000)
    entry = node(page, "diary-entry").filter(has_text=re.compile("142/88"))
    expect(entry.first).to_contain_text("高い", timeout=15_000)
    expect(page.get_by_role("textbox", name="上（最高）")).to_have_value("")  # ready for the next
    flutter.screenshot(page, "phone-diary-recorded-ja")
    page.mouse.move(200, 600)
    page.mouse.wheel(0, 1400)
    flutter.screenshot(page, "phone-diary-chart-ja")

    page.set_viewport_size({"width": TABLET[0], "height": TABLET[1]})
    expect(node(page, "diary-chart")).to_have_count(1, timeout=15_000)
    expect(node(page, "diary-entry").filter(has_text=re.compile("142/88")).first).to_be_visible()
    flutter.screenshot(page, "tablet-diary-ja")
    page.context.close()
