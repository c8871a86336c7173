"""A live machi server with the demo data (the real `machi demo`) and headless Chromium."""

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

SCREENSHOT_DIR = os.environ.get("MACHI_SCREENSHOT_DIR")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data_dir = tmp_path_factory.mktemp("live-data")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MACHI_")}
    env.update({"MACHI_PORT": str(port), "MACHI_DATA_DIR": str(data_dir)})
    log = (data_dir / "server.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "demo"], env=env, stdout=log, stderr=log
    )
    base_url = f"http://127.0.0.1:{port}"
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
    yield base_url
    process.terminate()
    process.wait(timeout=20)
    log.close()


# Per module: sync Playwright keeps an event loop running in this thread while it is open,
# which would break the async tests that run after the browser tests.
@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium must be installed in CI (.ci/run installs it)")
        pytest.skip("Chromium is not installed (apt-get install -y chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


def open_app(browser: Any, url: str, width: int, height: int) -> Any:
    """A fresh context (a reload would re-attach to the old Flet session), semantics on."""
    context = browser.new_context(viewport={"width": width, "height": height}, locale="ja-JP")
    page = context.new_page()
    # Nothing may leave the machine; Flutter's optional CDN fetches fail fast instead of hanging.
    page.route("https://**/*", lambda route: route.abort())
    page.route(
        "http://**/*",
        lambda route: route.continue_() if "127.0.0.1" in route.request.url else route.abort(),
    )
    page.goto(url)
    page.wait_for_selector("#loading", state="detached", timeout=60_000)
    enable_semantics(page)
    return page


def enable_semantics(page: Any) -> None:
    page.locator("flt-semantics-placeholder").dispatch_event("click")
    page.wait_for_selector("flt-semantics", timeout=20_000)


def screenshot(page: Any, name: str) -> None:
    """Saved when MACHI_SCREENSHOT_DIR is set, for a person to look at."""
    if SCREENSHOT_DIR:
        page.mouse.move(0, 0)
        page.wait_for_timeout(500)
        page.screenshot(path=str(Path(SCREENSHOT_DIR) / f"{name}.png"))


@pytest.fixture
def flutter() -> Any:
    """The helpers above, for tests (importlib mode cannot import a sibling helper module)."""

    class Flutter:
        open_app = staticmethod(open_app)
        enable_semantics = staticmethod(enable_semantics)
        screenshot = staticmethod(screenshot)

    return Flutter
