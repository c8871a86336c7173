"""Issue 6's "done when", in the web client: on a tablet the nurse opens today's visit, records
it and starts the patient's video call (then records the assisted consultation); on her phone
the daughter sees that visit in the family view and acknowledges it."""

import re
import uuid
from typing import Any

import pyotp
from playwright.sync_api import expect

PHONE = (412, 915)
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


def sign_in(page: Any, flutter: Any, username: str, *, staff: bool) -> None:
    """From a screen's 「サインイン」 through the server's page (and TOTP for staff) back."""
    node(page, "sign-in").click()
    page.wait_for_url(re.compile(r"/oauth/authorize\?"), timeout=30_000)
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name=re.compile("サインイン")).click()
    if staff:
        page.wait_for_selector("#totp", timeout=15_000)
        page.fill("#password", PASSWORD)
        page.fill("#totp", pyotp.TOTP(DEMO_TOTP_SECRET).now())
        page.get_by_role("button", name=re.compile("サインイン")).click()
    page.wait_for_url(re.compile(r"/callback\?code="), timeout=30_000)
    page.wait_for_selector("#loading", state="detached", timeout=60_000)
    flutter.enable_semantics(page)


def record_visit(page: Any, note: str) -> None:
    """The record form of the open visit: vitals, one tick, a note, 「記録を保存」."""
    page.get_by_role("button", name=re.compile("記録する")).click()
    for label, value in (("血圧 上", "128"), ("血圧 下", "76"), ("脈拍", "72"), ("体温", "36.5")):
        page.get_by_role("textbox", name=label).click()
        page.keyboard.type(value)
    page.get_by_role("textbox", name="食事").click()
    page.keyboard.type("昼食 全量")
    page.get_by_role("checkbox", name="足浴").click()
    # The form is taller than the screen: scroll Flutter's view (not just the DOM) first.
    page.mouse.move(900, 500)
    page.mouse.wheel(0, 800)
    page.wait_for_timeout(500)
    page.get_by_role("textbox", name=re.compile("自由記述")).click()
    page.keyboard.type(note)
    page.get_by_role("button", name=re.compile("記録を保存")).click()


def test_the_nurse_records_and_starts_the_call_and_the_daughter_acknowledges(
    browser: Any, live_server: str, flutter: Any
) -> None:
    note = f"庭で歩行練習 {uuid.uuid4().hex[:6]}"
    page = flutter.open_app(browser, live_server, *TABLET)
    opened: list[str] = []

    def jitsi(route: Any) -> None:
        opened.append(route.request.url)
        route.fulfill(status=200, content_type="text/html", body="<title>Jitsi Meet</title>")

    page.context.route("https://meet.jit.si/**", jitsi)
    go_to(page, "ケア")
    sign_in(page, flutter, "nurse.sato", staff=True)

    # Back on ケア: today's visits on the left, the chosen one on the right (two panes).
    expect(node(page, "section-title")).to_have_text("今日の訪問", timeout=30_000)
    expect(node(page, "visit-0")).to_contain_text("日立 花子", timeout=30_000)
    node(page, "visit-0").click()
    expect(page.get_by_text("アムロジピン", exact=False).first).to_be_visible(timeout=15_000)
    flutter.screenshot(page, "tablet-care-nurse-visit-ja")

    record_visit(page, note)
    expect(node(page, "care-notice")).to_contain_text("端末に保存しました", timeout=15_000)
    # The sync loop sends it at once: the visit shows 送信済み and the bar 同期済み.
    expect(node(page, "visit-0")).to_contain_text("送信済み", timeout=30_000)
    expect(node(page, "sync-status")).to_contain_text("同期済み", timeout=30_000)
    flutter.screenshot(page, "tablet-care-nurse-recorded-ja")
    page.get_by_role("button", name=re.compile("訪問を完了")).click()
    expect(node(page, "care-notice")).to_contain_text("訪問を完了にしました", timeout=15_000)
    expect(node(page, "visit-0")).to_contain_text("訪問完了")

    # 診療: the consultation she attends today; 「診察に参加」 is active in its window.
    go_to(page, "診療")
    join = page.get_by_role("button", name=re.compile("診察に参加"))
    expect(join.first).to_be_enabled(timeout=30_000)
    flutter.screenshot(page, "tablet-clinic-nurse-ja")
    with page.context.expect_page() as popup:
        join.first.click()
    popup.value.wait_for_load_state()
    assert opened
    assert re.match(r"https://meet\.jit\.si/[^/?]+\?jwt=[\w-]+\.[\w-]+\.[\w-]+", opened[0])
    popup.value.close()
    # Nurse-assisted: after the call, the time, what was done and the person's response.
    expect(page.get_by_role("group", name=re.compile("同席の記録（D to P with N）"))).to_be_visible(
        timeout=15_000
    )
    page.get_by_role("textbox", name="実施したこと").click()
    page.keyboard.type("タブレットで接続し、血圧の記録を医師に見せた")
    page.get_by_role("textbox", name="ご本人の反応").click()
    page.keyboard.type("安心した様子で質問された")
    page.get_by_role("button", name=re.compile("同席の記録を保存")).click()
    expect(node(page, "clinic-notice")).to_contain_text("同席の記録を保存しました", timeout=15_000)
    flutter.screenshot(page, "tablet-clinic-nurse-assisted-ja")
    page.context.close()

    # The daughter, on her phone: the visit in the family view, and 確認しました.
    phone = flutter.open_app(browser, live_server, *PHONE)
    go_to(phone, "ケア")
    sign_in(phone, flutter, "yoko", staff=False)
    expect(node(phone, "section-title")).to_have_text("ご家族の様子", timeout=30_000)
    # Cards read as one group each: the newest visit, with the nurse's note, comes first.
    visit = phone.get_by_role("group", name=re.compile(note))
    expect(visit.first).to_be_visible(timeout=30_000)
    flutter.screenshot(phone, "phone-care-family-ja")
    visit.first.get_by_role("button", name="確認しました").click()
    # Acknowledged: the button gives way to 確認済み and her name among the readers.
    expect(phone.get_by_text(re.compile(f"{note}.*確認済み.*日立 洋子", re.S))).to_be_visible(
        timeout=15_000
    )
    flutter.screenshot(phone, "phone-care-family-acked-ja")
    phone.context.close()
