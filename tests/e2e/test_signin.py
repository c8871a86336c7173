"""Sign-in through the real redirect flow (code + PKCE) in the web client, 私の情報を見られる人,
and sign-out; a staff member's sign-in with the TOTP step."""

import re
from typing import Any

import pyotp
from playwright.sync_api import expect

PHONE = (412, 915)
TABLET = (1024, 768)
PASSWORD = "machi-demo-2026"
# server/auth/demo.py: the demo staff accounts share this TOTP secret (printed by `machi demo`).
DEMO_TOTP_SECRET = "MACHIDEMOTOTPSECRETFORSTAFFXXXXX"


def node(page: Any, identifier: str) -> Any:
    return page.locator(f'[flt-semantics-identifier="{identifier}"]')


def sign_in_on_the_server_page(page: Any, username: str, totp: bool = False) -> None:
    """The server's own sign-in page (plain HTML) in the same tab, then back to the app."""
    page.wait_for_url(re.compile(r"/oauth/authorize\?"), timeout=30_000)
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name=re.compile("サインイン")).click()
    if totp:
        page.wait_for_selector("#totp", timeout=15_000)
        page.fill("#password", PASSWORD)
        page.fill("#totp", pyotp.TOTP(DEMO_TOTP_SECRET).now())
        page.get_by_role("button", name=re.compile("サインイン")).click()
    # Back in the app at /callback?code=…&state=…: a new Flet session completes the sign-in.
    page.wait_for_url(re.compile(r"/callback\?code="), timeout=30_000)
    page.wait_for_selector("#loading", state="detached", timeout=60_000)


def test_hanako_signs_in_sees_who_can_see_her_data_and_signs_out(
    browser: Any, live_server: str, flutter: Any
) -> None:
    page = flutter.open_app(browser, live_server, *PHONE)
    page.get_by_role("tab", name="設定").click()
    node(page, "sign-in").click()

    sign_in_on_the_server_page(page, "hanako")
    flutter.enable_semantics(page)

    # Back on the settings screen she left from, signed in, with the sync status in the bar.
    expect(node(page, "account-name")).to_contain_text("日立 花子", timeout=30_000)
    expect(page).to_have_url(re.compile(r"/$"))
    expect(node(page, "sync-status")).to_be_visible()
    # The first pull of her diary and care records completes: 「同期済み」 with the time.
    expect(node(page, "sync-status")).to_contain_text(
        re.compile(r"同期済み (\d\d/\d\d )?\d\d:\d\d"), timeout=30_000
    )
    flutter.screenshot(page, "phone-signed-in-settings-ja")

    node(page, "open-privacy").click()
    expect(node(page, "section-title")).to_have_text("私の情報を見られる人", timeout=15_000)
    # Her daughter (who may also book for her) and the nurse's team, each with what they see.
    daughter = page.get_by_role("group", name=re.compile("日立 洋子"))
    expect(daughter).to_be_visible(timeout=15_000)
    expect(daughter).to_have_accessible_name(re.compile("血圧・体重などの記録.*代理で予約できます"))
    expect(page.get_by_role("group", name=re.compile("訪問看護ステーションかみね"))).to_be_visible()
    expect(page.get_by_role("button", name="取り消す")).to_have_count(2)
    flutter.screenshot(page, "phone-privacy-ja")

    page.get_by_role("button", name=re.compile("設定に戻る")).click()
    node(page, "sign-out").click()
    expect(node(page, "sign-in")).to_be_visible(timeout=15_000)
    expect(node(page, "sync-status")).to_have_count(0)
    flutter.screenshot(page, "phone-signed-out-ja")
    page.context.close()
