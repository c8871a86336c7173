"""「私の情報を見られる人」: who can see which of my data, invite a family member, revoke (with a
confirmation), accept an invitation code, and who looked at my data."""

from collections.abc import Awaitable, Callable
from datetime import datetime
from zoneinfo import ZoneInfo

import flet as ft

from app.client.auth import Session
from app.client.privacy import AccessView, ConsentView, PrivacyState
from app.client.state import AppState
from app.client.views.common import heading, paragraph

LOCAL_TZ = ZoneInfo("Asia/Tokyo")


def _day(moment: datetime) -> str:
    return moment.astimezone(LOCAL_TZ).strftime("%Y/%m/%d")


def _bold(state: AppState, text: str, size: float = 18) -> ft.Text:
    return ft.Text(text, size=state.text_size(size), weight=ft.FontWeight.BOLD)


def consent_card(
    state: AppState, consent: ConsentView, ask_revoke: Callable[[ConsentView], None]
) -> ft.Control:
    categories = "、".join(state.t(f"category.{c}") for c in consent.categories)
    period = f"{_day(consent.period_start)} 〜 " + (
        _day(consent.period_end) if consent.period_end else state.t("privacy.until_revoked")
    )
    icon = ft.Icons.GROUPS if consent.team else ft.Icons.PERSON
    rows: list[ft.Control] = [
        ft.Row(
            [ft.Icon(icon, size=28), _bold(state, consent.grantee)],
            spacing=8,
            wrap=True,
        ),
        ft.Text(f"{state.t('privacy.categories')}: {categories}", size=state.text_size(16)),
        ft.Text(f"{state.t('privacy.period')}: {period}", size=state.text_size(16)),
    ]
    if consent.proxy:
        rows.append(ft.Text(state.t("privacy.proxy"), size=state.text_size(16)))
    if consent.active:
        rows.append(
            ft.OutlinedButton(
                content=ft.Text(state.t("privacy.revoke"), size=state.text_size(17)),
                icon=ft.Icons.BLOCK,
                height=56,
                on_click=lambda _e: ask_revoke(consent),
            )
        )
    else:
        ended = state.t("privacy.revoked") if consent.revoked_at else state.t("privacy.inactive")
        when = f" {_day(consent.revoked_at)}" if consent.revoked_at else ""
        rows.append(ft.Text(f"{ended}{when}", size=state.text_size(16), color=ft.Colors.RED_800))
    return ft.Semantics(
        identifier=f"consent-{consent.id}",
        container=True,
        content=ft.Container(
            content=ft.Column(rows, spacing=6),
            padding=14,
            border_radius=12,
            border=ft.Border.all(1, ft.Colors.GREY_400),
            bgcolor=ft.Colors.WHITE if consent.active else ft.Colors.GREY_100,
        ),
    )


def access_row(state: AppState, entry: AccessView) -> ft.Control:
    allowed = entry.outcome == "allowed"
    when = entry.recorded.astimezone(LOCAL_TZ).strftime("%m/%d %H:%M")
    what = state.t(f"category.{entry.category}")
    outcome = state.t("privacy.allowed" if allowed else "privacy.denied")
    return ft.Row(
        [
            ft.Icon(
                ft.Icons.VISIBILITY if allowed else ft.Icons.BLOCK,
                color=ft.Colors.GREEN_800 if allowed else ft.Colors.RED_800,
            ),
            ft.Text(
                f"{when}  {entry.who}\n{what} · {outcome}",
                size=state.text_size(15),
                expand=True,
            ),
        ],
        vertical_alignment=ft.CrossAxisAlignment.START,
    )


def privacy_screen(
    state: AppState,
    session: Session,
    privacy: PrivacyState,
    *,
    back: Callable[[], None],
    revoke: Callable[[ConsentView], None],
    invite: Callable[[], Awaitable[None]],
    accept: Callable[[], Awaitable[None]],
) -> ft.Control:
    me = session.me
    has_record = me is not None and me.has_own_record
    rows: list[ft.Control] = [
        ft.TextButton(
            content=ft.Text(state.t("privacy.back"), size=state.text_size(16)),
            icon=ft.Icons.ARROW_BACK,
            height=48,
            on_click=lambda _e: back(),
        ),
        heading(state, "privacy.title"),
    ]
    if privacy.error:
        rows.append(
            ft.Text(
                f"{state.t('privacy.error')}: {privacy.error}",
                size=state.text_size(16),
                color=ft.Colors.RED_800,
            )
        )
    if privacy.loading and not privacy.consents:
        rows.append(ft.ProgressRing())
    if has_record:
        rows.append(paragraph(state, state.t("privacy.body")))
        if not privacy.active and not privacy.loading:
            rows.append(paragraph(state, state.t("privacy.none")))
        rows += [consent_card(state, c, revoke) for c in privacy.active]
        rows += [consent_card(state, c, revoke) for c in privacy.ended]
        rows += [ft.Divider(), *_invite_part(state, privacy, invite)]
    rows += [ft.Divider(), *_accept_part(state, privacy, accept)]
    if has_record:
        rows += [ft.Divider(), _bold(state, state.t("privacy.log_title"), 20)]
        if not privacy.log:
            rows.append(paragraph(state, state.t("privacy.log_none")))
        rows += [access_row(state, e) for e in privacy.log]
    return ft.Semantics(
        identifier="privacy-screen",
        content=ft.Column(rows, spacing=12, scroll=ft.ScrollMode.AUTO, expand=True),
    )


def _invite_part(
    state: AppState, privacy: PrivacyState, invite: Callable[[], Awaitable[None]]
) -> list[ft.Control]:
    def on_proxy(e: ft.Event[ft.Switch]) -> None:
        privacy.invite_proxy = bool(e.control.value)

    rows: list[ft.Control] = [
        _bold(state, state.t("privacy.invite_title"), 20),
        paragraph(state, state.t("privacy.invite_help")),
        ft.Switch(
            label=state.t("privacy.invite_proxy"),
            label_text_style=ft.TextStyle(size=state.text_size(16)),
            value=privacy.invite_proxy,
            on_change=on_proxy,
        ),
        ft.Button(
            content=ft.Text(state.t("privacy.invite_create"), size=state.text_size(18)),
            icon=ft.Icons.KEY,
            height=56,
            on_click=invite,
        ),
    ]
    if privacy.invitation:
        code, expires = privacy.invitation
        rows.append(
            ft.Semantics(
                identifier="invitation-code",
                label=f"{state.t('privacy.invite_code')} {code}",
                content=ft.Container(
                    padding=14,
                    border_radius=12,
                    bgcolor=ft.Colors.BLUE_50,
                    content=ft.Column(
                        [
                            ft.Text(state.t("privacy.invite_code"), size=state.text_size(16)),
                            ft.Text(
                                code,
                                size=state.text_size(34),
                                weight=ft.FontWeight.BOLD,
                                selectable=True,
                            ),
                            ft.Text(
                                f"{state.t('privacy.invite_expires')}: "
                                + expires.astimezone(LOCAL_TZ).strftime("%Y/%m/%d %H:%M"),
                                size=state.text_size(15),
                            ),
                        ],
                        spacing=4,
                    ),
                ),
            )
        )
    return rows


def _accept_part(
    state: AppState, privacy: PrivacyState, accept: Callable[[], Awaitable[None]]
) -> list[ft.Control]:
    def on_type(e: ft.Event[ft.TextField]) -> None:
        privacy.typed_code = str(e.control.value or "")  # no redraw: the field keeps focus

    rows: list[ft.Control] = [
        _bold(state, state.t("privacy.accept_title"), 20),
        paragraph(state, state.t("privacy.accept_help")),
        ft.TextField(
            label=state.t("privacy.accept_field"),
            value=privacy.typed_code,
            text_size=state.text_size(20),
            on_change=on_type,
            on_submit=accept,
        ),
        ft.Button(
            content=ft.Text(state.t("privacy.accept_button"), size=state.text_size(18)),
            height=56,
            on_click=accept,
        ),
    ]
    if privacy.accepted is not None:
        rows.append(
            ft.Text(
                state.t("privacy.accepted"), size=state.text_size(16), color=ft.Colors.GREEN_800
            )
        )
    return rows


def revoke_dialog(
    state: AppState,
    consent: ConsentView,
    *,
    confirm: Callable[[], Awaitable[None]],
    cancel: Callable[[], object],
) -> ft.AlertDialog:
    return ft.AlertDialog(
        modal=True,
        title=ft.Text(state.t("privacy.revoke_title"), size=state.text_size(22)),
        content=ft.Text(
            state.t("privacy.revoke_body").format(who=consent.grantee), size=state.text_size(17)
        ),
        actions=[
            ft.TextButton(
                content=ft.Text(state.t("privacy.cancel"), size=state.text_size(17)),
                height=56,
                on_click=lambda _e: cancel(),
            ),
            ft.Button(
                content=ft.Text(state.t("privacy.revoke"), size=state.text_size(17)),
                icon=ft.Icons.BLOCK,
                height=56,
                bgcolor=ft.Colors.RED_700,
                color=ft.Colors.WHITE,
                on_click=confirm,
            ),
        ],
    )
