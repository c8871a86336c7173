"""The operator's fleet screen in the web client: on a tablet the operator signs in (password and
TOTP) on the 乗り物 tab, sees the fleet, takes a vehicle out of service after confirming, and puts
it back."""

import re
from typing import Any

import pyotp
from playwright.sync_api import expect

TABLET = (1280, 800)
PASSWORD = "machi-demo-2026"
# server/auth/demo.py: the demo staff accounts share this TOTP secret (printed by `machi demo`).
DEMO_TOTP_SECRET = "MACHIDEMOTOTPSECRETFORSTAFFXXXXX"


def node(page: Any, identifier: str) -> Any:
    return page.locator(f'[flt-semantics-identifier="{identifier}"]')


def go_to(page: Any, label: str) -> None:
    """A section from the bottom bar (phone) or the rail (tablet)."""
    page.get_by_role("tab", name=re.compile(rf"^{label}")).or_(
        page.get_by_role("button", name=re.compile(rf"^{label}"))
    ).first.click()


def test_the_operator_takes_a_vehicle_out_of_service_and_puts_it_back(
    browser: Any, live_server: str, flutter: Any
) -> None:
    page = flutter.open_app(browser, live_server, *TABLET)
    go_to(page, "乗り物")
    node(page, "sign-in").click()
    page.wait_for_url(re.compile(r"/oauth/authorize\?"), timeout=30_000)
    page.fill("#username", "operator")
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name=re.compile("サインイン")).click()
    page.wait_for_selector("#totp", timeout=15_000)
    page.fill("#password", PASSWORD)
    page.fill("#totp", pyotp.TOTP(DEMO_TOTP_SECRET).now())
    page.get_by_role("button", name=re.compile("サインイン")).click()
    page.wait_for_url(re.compile(r"/callback\?code="), timeout=30_000)
    page.wait_for_selector("#loading", state="detached", timeout=60_000)
    flutter.enable_semantics(page)

    expect(node(page, "section-title")).to_have_text("車両の管理（事業者）", timeout=30_000)
    take_out = page.get_by_role("button", name="運休にする")
    expect(take_out.first).to_be_visible(timeout=30_000)
    flutter.screenshot(page, "tablet-operator-fleet-ja")
    page.get_by_role("button", name=re.compile(r"^運休 \(0\)")).click()  # the filter: none yet
    expect(page.get_by_role("button", name="運行に戻す")).to_have_count(0)
    page.get_by_role("button", name="すべて", exact=True).click()  # the status filter off

    page.get_by_role("button", name="運休にする").first.click()
    expect(page.get_by_text(re.compile("を運休にしますか？"))).to_be_visible(timeout=15_000)
    flutter.screenshot(page, "tablet-operator-confirm-ja")
    page.get_by_role("button", name="はい、変更する").click()

    expect(node(page, "operator-notice")).to_have_text("運休にしました。", timeout=30_000)
    back = page.get_by_role("button", name="運行に戻す")
    expect(back).to_have_count(1)
    flutter.screenshot(page, "tablet-operator-out-of-service-ja")
    back.click()
    page.get_by_role("button", name="はい、変更する").click()
    expect(node(page, "operator-notice")).to_have_text("運行に戻しました。", timeout=30_000)
    expect(page.get_by_role("button", name="運行に戻す")).to_have_count(0)
    page.context.close()
