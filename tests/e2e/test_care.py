"""Issue 6's "done when", in the web client: on a tablet the nurse opens today's visit, records
it and starts the patient's video call (then records the assisted consultation); on her phone
the daughter sees that visit in the family view and acknowledges it."""

import contextlib
import os
import re
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pyotp
import pytest
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


def type_into(page: Any, name: str | re.Pattern[str], text: str) -> None:
    """Into a text field: focus it, let Flutter move the focus, then type."""
    field = page.get_by_role("textbox", name=name)
    field.click()
    page.wait_for_timeout(300)
    field.fill(text)


def record_visit(page: Any, note: str) -> None:
    """The record form of the open visit: vitals, one tick, a note, 「記録を保存」."""
    page.get_by_role("button", name=re.compile("記録する")).click()
    for label, value in (("血圧 上", "128"), ("血圧 下", "76"), ("脈拍", "72"), ("体温", "36.5")):
        type_into(page, label, value)
    type_into(page, "食事", "昼食 全量")
    page.get_by_role("checkbox", name="足浴").click()
    # The form is taller than the screen: scroll Flutter's view (not just the DOM) first.
    page.mouse.move(900, 500)
    page.mouse.wheel(0, 800)
    page.wait_for_timeout(500)
    type_into(page, re.compile("自由記述"), note)
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
    # Saved on the device, and with a signal sent at once: either notice may be showing by now.
    expect(node(page, "care-notice")).to_contain_text(
        re.compile("端末に保存しました|記録をサーバーに送信しました"), timeout=15_000
    )
    # The sync loop sends it at once: the visit shows 送信済み and the bar 同期済み.
    expect(node(page, "visit-0")).to_contain_text("送信済み", timeout=30_000)
    expect(node(page, "sync-status")).to_contain_text("同期済み", timeout=30_000)
    expect(node(page, "care-notice")).to_contain_text("サーバーに送信しました")
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
    type_into(page, "実施したこと", "タブレットで接続し、血圧の記録を医師に見せた")
    type_into(page, "ご本人の反応", "安心した様子で質問された")
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


# --- issue 8: the nurse records a visit with no signal ------------------------------------

# What the app's Python (which runs on the server in the web client) sends to the API; the
# browser's own traffic (the page, the Flet websocket, the sign-in page) never starts so.
API_PATHS = (b"/api/", b"/health", b"/oauth/token", b"/oauth/revoke", b"/fhir")


class Signal:
    """A TCP relay in front of the server, standing in for the tablet's mobile signal.

    The server's public URL points here, so the app's API calls (and the browser) come
    through it. `cut()` drops every API connection and refuses new ones, as a dead zone
    does; the page itself stays up, as it would on a tablet whose app is already open.
    """

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.on = True
        self._api: set[socket.socket] = set()
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        try:
            self._relay(client)
        except OSError:  # the server not up yet, or a side hung up: that connection fails
            client.close()

    def _relay(self, client: socket.socket) -> None:
        head = b""
        while b"\r\n" not in head and len(head) < 65536:
            chunk = client.recv(65536)
            if not chunk:
                client.close()
                return
            head += chunk
        parts = head.split(b" ", 2)
        is_api = len(parts) > 1 and parts[1].startswith(API_PATHS)
        if is_api and not self.on:
            client.close()
            return
        upstream = socket.create_connection(("127.0.0.1", self.target_port))
        upstream.sendall(head)
        if is_api:
            with self._lock:
                self._api |= {client, upstream}
        for source, sink in ((client, upstream), (upstream, client)):
            threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for end in (source, sink):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)
        with self._lock:
            self._api -= {source, sink}

    def cut(self) -> None:
        self.on = False
        with self._lock:
            for end in list(self._api):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    def restore(self) -> None:
        self.on = True

    def close(self) -> None:
        self.listener.close()


@pytest.fixture(scope="module")
def signal_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Signal]]:
    """Its own `machi demo` whose public URL is the relay (so the web client's Python reaches
    the API through it), and the relay."""
    data_dir = tmp_path_factory.mktemp("offline-data")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    signal = Signal(port)
    base_url = f"http://127.0.0.1:{signal.port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MACHI_")}
    env.update(
        {"MACHI_PORT": str(port), "MACHI_DATA_DIR": str(data_dir), "MACHI_PUBLIC_URL": base_url}
    )
    log = (data_dir / "server.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "demo"], env=env, stdout=log, stderr=log
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"machi demo exited: {(data_dir / 'server.log').read_text()[-2000:]}")
        try:
            if httpx.get(f"{base_url}/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.3)
    else:
        process.kill()
        pytest.fail("machi demo did not answer /health within 120 s")
    yield base_url, signal
    process.terminate()
    process.wait(timeout=20)
    signal.close()
    log.close()


def test_a_visit_recorded_with_no_signal_is_sent_when_it_returns_and_the_family_sees_it(
    browser: Any, signal_server: tuple[str, Signal], flutter: Any
) -> None:
    url, signal = signal_server
    note = f"電波なしで記録 {uuid.uuid4().hex[:6]}"
    page = flutter.open_app(browser, url, *TABLET)
    go_to(page, "ケア")
    sign_in(page, flutter, "nurse.sato", staff=True)
    expect(node(page, "visit-0")).to_contain_text("日立 花子", timeout=30_000)
    node(page, "visit-0").click()
    expect(page.get_by_text("アムロジピン", exact=False).first).to_be_visible(timeout=15_000)

    signal.cut()  # in the home: no signal
    record_visit(page, note)

    expect(node(page, "care-notice")).to_contain_text("端末に保存しました", timeout=15_000)
    expect(node(page, "sync-status")).to_have_text("未送信 1件", timeout=15_000)
    expect(node(page, "visit-0")).to_contain_text("未送信", timeout=15_000)
    # Closing the visit now would close it without its record: a clear warning first.
    page.get_by_role("button", name=re.compile("訪問を完了")).click()
    expect(node(page, "close-warning")).to_have_accessible_name(
        re.compile("記録がまだ送信されていません"), timeout=15_000
    )
    flutter.screenshot(page, "tablet-care-offline-pending-ja")
    page.get_by_role("button", name="完了にしない").click()
    expect(node(page, "close-warning")).to_have_count(0)

    signal.restore()  # back in the car: the sync loop's next retry sends it
    expect(node(page, "sync-status")).to_contain_text("同期済み", timeout=90_000)
    expect(node(page, "visit-0")).to_contain_text("送信済み", timeout=15_000)
    flutter.screenshot(page, "tablet-care-offline-synced-ja")
    page.context.close()

    phone = flutter.open_app(browser, url, *PHONE)
    go_to(phone, "ケア")
    sign_in(phone, flutter, "yoko", staff=False)
    expect(phone.get_by_role("group", name=re.compile(note)).first).to_be_visible(timeout=30_000)
    phone.context.close()


def test_the_care_manager_filters_the_timeline_and_posts_a_message(
    browser: Any, live_server: str, flutter: Any
) -> None:
    message = f"来週のケアプラン会議は水曜です {uuid.uuid4().hex[:4]}"
    page = flutter.open_app(browser, live_server, *TABLET)
    go_to(page, "ケア")
    sign_in(page, flutter, "cm.suzuki", staff=True)
    expect(node(page, "section-title")).to_have_text("ケアチームの記録", timeout=30_000)
    expect(page.get_by_role("group", name=re.compile("^訪問記録 ·")).first).to_be_visible(
        timeout=30_000
    )

    page.get_by_role("checkbox", name="メッセージ").click()
    expect(page.get_by_role("group", name=re.compile("^訪問記録 ·"))).to_have_count(
        0, timeout=15_000
    )
    type_into(page, "チームとご家族へのメッセージ", message)
    page.get_by_role("button", name="送信", exact=True).click()

    # Her own post, newest first, without a 確認しました of her own to press.
    expect(page.get_by_text(re.compile(message)).first).to_be_visible(timeout=15_000)
    expect(page.get_by_role("group", name=re.compile(message))).to_have_count(0)
    flutter.screenshot(page, "tablet-care-team-timeline-ja")
    page.context.close()


def test_the_resident_books_on_her_phone_and_the_join_button_waits_for_the_window(
    browser: Any, live_server: str, flutter: Any
) -> None:
    page = flutter.open_app(browser, live_server, *PHONE)
    go_to(page, "診療")
    sign_in(page, flutter, "hanako", staff=False)
    expect(node(page, "section-title")).to_have_text("オンライン診療", timeout=30_000)

    page.get_by_role("button", name=re.compile("診察を予約する")).click()
    slot = page.get_by_role("button", name=re.compile(r"^\d{1,2}\/\d{1,2}（.）"))
    expect(slot.first).to_be_visible(timeout=15_000)
    flutter.screenshot(page, "phone-clinic-booking-ja")
    slot.first.click()

    expect(node(page, "clinic-notice")).to_contain_text("予約しました", timeout=15_000)
    # Booked for another day: 「診察に参加」 is there but inactive until its window opens.
    waiting = page.get_by_role("button", name=re.compile("診察に参加"), disabled=True)
    expect(waiting.first).to_be_visible(timeout=15_000)
    expect(page.get_by_role("group", name=re.compile("から参加できます")).first).to_be_visible()
    flutter.screenshot(page, "phone-clinic-resident-ja")
    page.context.close()
