"""The shell's state as plain Python: preferences remembered, connection status from /health."""

from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI

from app.client.api import ApiClient
from app.client.state import AppState, Connection, MemoryPreferences, Section

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


async def test_language_and_text_size_are_remembered_on_the_device() -> None:
    prefs = MemoryPreferences()
    first = AppState(prefs=prefs)
    await first.set_language("en")
    await first.set_large_text(True)

    second = AppState(prefs=prefs)
    await second.load()

    assert second.language == "en"
    assert second.large_text is True
    assert second.t("section.settings") == "Settings"
    assert second.text_size(18) > 18


async def test_japanese_is_the_default_language() -> None:
    state = AppState(prefs=MemoryPreferences())
    await state.load()

    assert state.t("section.diary") == "健康日記"
    assert state.text_size(18) == 18


async def test_an_unsupported_language_is_refused_and_nothing_changes() -> None:
    state = AppState(prefs=MemoryPreferences())

    with pytest.raises(ValueError, match="unsupported language"):
        await state.set_language("xx")
    assert state.language == "ja"


async def test_listeners_hear_every_change() -> None:
    state = AppState(prefs=MemoryPreferences())
    heard: list[Section] = []
    state.subscribe(lambda: heard.append(state.section))

    state.select(Section.CARE)
    await state.set_language("en")

    assert heard == [Section.CARE, Section.CARE]


async def test_connection_is_online_when_the_real_server_answers(app: FastAPI) -> None:
    api = ApiClient("http://machi.test", transport=httpx.ASGITransport(app=app))
    state = AppState(prefs=MemoryPreferences())

    await state.check_connection(api, now=lambda: NOW)

    assert state.connection is Connection.ONLINE
    assert state.server_version
    assert state.last_checked == NOW


async def test_connection_is_offline_when_the_server_cannot_be_reached() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    api = ApiClient("http://machi.test", transport=httpx.MockTransport(refuse))
    state = AppState(prefs=MemoryPreferences())

    await state.check_connection(api, now=lambda: NOW)

    assert state.connection is Connection.OFFLINE


async def test_a_server_error_counts_as_offline() -> None:
    api = ApiClient(
        "http://machi.test",
        transport=httpx.MockTransport(lambda r: httpx.Response(503, json={"detail": "down"})),
    )
    state = AppState(prefs=MemoryPreferences())

    await state.check_connection(api, now=lambda: NOW)

    assert state.connection is Connection.OFFLINE
