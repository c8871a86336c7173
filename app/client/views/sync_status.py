"""The sync status the app always shows while signed in: 「未送信 N件」 until the server has
confirmed every write, the last successful sync, conflicts and refused writes (with why)."""

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

import flet as ft

from app.client.outbox import OutboxEntry
from app.client.state import AppState
from app.client.sync import SyncStatus

LOCAL_TZ = ZoneInfo("Asia/Tokyo")


def _when(moment: datetime | None, state: AppState, *, short: bool = False) -> str:
    """The chip says only the time for today (the app bar is narrow on a phone)."""
    if moment is None:
        return state.t("sync.never")
    local = moment.astimezone(LOCAL_TZ)
    if short and local.date() == datetime.now(LOCAL_TZ).date():
        return local.strftime("%H:%M")
    return local.strftime("%m/%d %H:%M")


def sync_label(state: AppState, status: SyncStatus) -> str:
    """The chip's words: what a person must know first."""
    if status.pending:
        return state.t("sync.pending").format(n=status.pending)
    if status.conflicts or status.rejected:
        return state.t("sync.conflicts").format(n=len(status.conflicts) + len(status.rejected))
    if status.syncing and status.last_synced_at is None:
        return state.t("sync.syncing")
    if status.last_synced_at is None:
        return state.t("sync.never")
    return f"{state.t('sync.synced')} {_when(status.last_synced_at, state, short=True)}"


def sync_chip(state: AppState, status: SyncStatus, on_click: Callable[[], None]) -> ft.Control:
    """The app bar's sync chip (semantics identifier `sync-status`); opens the details."""
    needs_person = bool(status.conflicts or status.rejected)
    if status.pending:
        icon, color = ft.Icons.CLOUD_UPLOAD_OUTLINED, ft.Colors.ORANGE_900
    elif needs_person:
        icon, color = ft.Icons.WARNING_AMBER, ft.Colors.RED_800
    elif status.last_error:
        icon, color = ft.Icons.CLOUD_OFF, ft.Colors.GREY_700
    else:
        icon, color = ft.Icons.CLOUD_DONE_OUTLINED, ft.Colors.GREEN_800
    label = sync_label(state, status)
    return ft.Semantics(
        identifier="sync-status",
        button=True,
        content=ft.Container(
            padding=ft.Padding.symmetric(horizontal=10, vertical=6),
            border_radius=20,
            bgcolor=ft.Colors.WHITE,
            on_click=on_click,
            content=ft.Row(
                [
                    ft.Icon(icon, size=16, color=color),
                    ft.Text(label, size=state.text_size(14), color=ft.Colors.BLACK),
                ],
                spacing=4,
                tight=True,
            ),
        ),
    )


def _entry_title(entry: OutboxEntry) -> str:
    return f"{entry.collection} · {entry.op} · {entry.created_at[:16].replace('T', ' ')}"


def sync_details(
    state: AppState,
    status: SyncStatus,
    *,
    sync_now: Callable[[], Awaitable[None]],
    resolve: Callable[[str, Literal["mine", "theirs"]], None],
    dismiss: Callable[[str], None],
    close: Callable[[], object],
) -> ft.AlertDialog:
    """Everything behind the chip: pending, last sync, each conflict and refused write."""
    size = state.text_size
    rows: list[ft.Control] = [
        ft.Text(
            state.t("sync.pending").format(n=status.pending),
            size=size(18),
            weight=ft.FontWeight.BOLD,
        ),
        ft.Text(f"{state.t('sync.last')}: {_when(status.last_synced_at, state)}", size=size(16)),
    ]
    if status.last_error:
        rows.append(ft.Text(state.t("sync.interrupted"), size=size(15), color=ft.Colors.RED_800))
    if status.conflicts:
        rows.append(
            ft.Text(
                state.t("sync.conflicts").format(n=len(status.conflicts)),
                size=size(17),
                weight=ft.FontWeight.BOLD,
            )
        )
        for entry in status.conflicts:
            key = entry.idempotency_key
            rows.append(
                ft.Column(
                    [
                        ft.Text(_entry_title(entry), size=size(15)),
                        ft.Text(
                            entry.reason or state.t("sync.conflict_item"),
                            size=size(15),
                            color=ft.Colors.RED_800,
                        ),
                        ft.Row(
                            [
                                ft.Button(
                                    state.t("sync.keep_mine"),
                                    height=56,
                                    on_click=lambda _e, k=key: resolve(k, "mine"),
                                ),
                                ft.OutlinedButton(
                                    state.t("sync.keep_theirs"),
                                    height=56,
                                    on_click=lambda _e, k=key: resolve(k, "theirs"),
                                ),
                            ],
                            wrap=True,
                        ),
                    ],
                    spacing=6,
                )
            )
    if status.rejected:
        rows.append(
            ft.Text(
                state.t("sync.rejected").format(n=len(status.rejected)),
                size=size(17),
                weight=ft.FontWeight.BOLD,
            )
        )
        for entry in status.rejected:
            key = entry.idempotency_key
            rows.append(
                ft.Column(
                    [
                        ft.Text(_entry_title(entry), size=size(15)),
                        ft.Text(entry.reason or "", size=size(15), color=ft.Colors.RED_800),
                        ft.OutlinedButton(
                            state.t("sync.dismiss"),
                            height=56,
                            on_click=lambda _e, k=key: dismiss(k),
                        ),
                    ],
                    spacing=6,
                )
            )
    return ft.AlertDialog(
        title=ft.Text(state.t("sync.title"), size=size(22)),
        content=ft.Column(rows, spacing=10, tight=True, scroll=ft.ScrollMode.AUTO),
        actions=[
            ft.Button(state.t("sync.now"), icon=ft.Icons.SYNC, height=56, on_click=sync_now),
            ft.TextButton(state.t("sync.close"), height=56, on_click=lambda _e: close()),
        ],
    )
