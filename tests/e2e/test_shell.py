"""The web client as a person sees it: sections, language switch, phone and tablet layouts."""

import re
from typing import Any

from playwright.sync_api import expect

PHONE = (412, 915)
TABLET = (1280, 800)
SECTIONS_JA = ["移動", "乗り物", "診療", "健康日記", "ケア", "設定"]
SECTIONS_EN = ["Trips", "Mobility", "Clinic", "Diary", "Care", "Settings"]


def section_tab(page: Any, label: str) -> Any:
    # Flutter labels destinations "移動\nTab 1 of 6"; match the label at the start.
    return (
        page.get_by_role("tab", name=re.compile(rf"^{label}"))
        .or_(page.get_by_role("button", name=re.compile(rf"^{label}")))
        .first
    )


def title(page: Any) -> Any:
    return page.locator('[flt-semantics-identifier="section-title"]')


def test_phone_shows_the_sections_in_japanese_and_switches_to_english(
    browser: Any, live_server: str, flutter: Any
) -> None:
    page = flutter.open_app(browser, live_server, *PHONE)

    for label in SECTIONS_JA:
        expect(section_tab(page, label)).to_be_visible()
    expect(title(page)).to_have_text("どこへ行きますか？")
    expect(page.locator('[flt-semantics-identifier="connection-status"]')).to_contain_text(
        "オンライン"
    )
    flutter.screenshot(page, "phone-trips-ja")

    section_tab(page, "健康日記").click()
    expect(title(page)).to_have_text("健康日記")

    section_tab(page, "設定").click()
    expect(title(page)).to_have_text("設定")
    page.get_by_role("button", name="English").click()

    expect(title(page)).to_have_text("Settings")
    for label in SECTIONS_EN:
        expect(section_tab(page, label)).to_be_visible()
    flutter.screenshot(page, "phone-settings-en")

    # The choice is remembered on the device: a new session in this browser starts in English.
    again = page.context.new_page()
    again.goto(live_server)
    again.wait_for_selector("#loading", state="detached", timeout=60_000)
    flutter.enable_semantics(again)
    expect(title(again)).to_have_text("Where are you going?")
    page.context.close()


def test_tablet_uses_a_navigation_rail_and_switches_sections(
    browser: Any, live_server: str, flutter: Any
) -> None:
    page = flutter.open_app(browser, live_server, *TABLET)

    expect(title(page)).to_have_text("どこへ行きますか？")
    section_tab(page, "ケア").click()
    expect(title(page)).to_have_text("ケアの共有")
    section_tab(page, "診療").click()
    expect(title(page)).to_have_text("オンライン診療")
    flutter.screenshot(page, "tablet-clinic-ja")
    page.context.close()
