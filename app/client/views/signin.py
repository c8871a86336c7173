"""Sign-in for screens that need it: the big 「サインイン」 button, and the account card.

Feature screens that need a signed-in person (diary, care, clinic, mobility bookings) call

    require_sign_in(state, session, "diary.title", lambda: diary_body(...))

which shows the screen's title and the sign-in button while signed out.
"""

from collections.abc import Awaitable, Callable

import flet as ft

from app.client.auth import Session
from app.client.state import AppState
from app.client.views.common import heading, paragraph


async def start_sign_in(state: AppState, session: Session) -> None:
    """Open the server's sign-in page in place of the app (same tab on the web); the server
    sends the browser back to /callback, where main() completes the sign-in and comes back to
    the current section."""
    url = await session.auth.authorize_url(return_to=state.section.value)
    await ft.UrlLauncher().launch_url(url, web_only_window_name="_self")


def sign_in_button(state: AppState, session: Session) -> ft.Control:
    async def on_click() -> None:
        await start_sign_in(state, session)

    return ft.Semantics(
        identifier="sign-in",
        content=ft.Button(
            content=ft.Text(state.t("signin.button"), size=state.text_size(20)),
            icon=ft.Icons.LOGIN,
            height=64,
            width=320,
            on_click=on_click,
        ),
    )


def sign_in_screen(state: AppState, session: Session, title_key: str) -> ft.Control:
    """What a screen that needs sign-in shows to someone signed out."""
    return ft.Column(
        [
            heading(state, title_key),
            paragraph(state, state.t("signin.required")),
            ft.Container(height=8),
            sign_in_button(state, session),
            ft.Text(state.t("signin.help"), size=state.text_size(15), color=ft.Colors.GREY_700),
        ],
        spacing=14,
        scroll=ft.ScrollMode.AUTO,
        expand=True,
    )


def require_sign_in(
    state: AppState, session: Session, title_key: str, screen: Callable[[], ft.Control]
) -> ft.Control:
    """`screen()` when signed in, else the sign-in screen titled `title_key`."""
    if not session.signed_in:
        return sign_in_screen(state, session, title_key)
    return screen()


def account_card(
    state: AppState,
    session: Session,
    *,
    sign_out: Callable[[], Awaitable[None]],
    open_privacy: Callable[[], None],
) -> ft.Control:
    """Settings: who is signed in, 私の情報を見られる人, sign-out; or the sign-in button."""
    me = session.me
    rows: list[ft.Control] = [
        ft.Text(state.t("account.title"), size=state.text_size(18), weight=ft.FontWeight.BOLD)
    ]
    if me is None:
        rows += [
            ft.Text(state.t("signin.signed_out"), size=state.text_size(16)),
            sign_in_button(state, session),
        ]
    else:
        rows += [
            ft.Semantics(
                identifier="account-name",
                content=ft.Text(
                    f"{me.display_name}（{state.t(f'role.{me.role}')}）",
                    size=state.text_size(18),
                ),
            ),
            ft.Semantics(
                identifier="open-privacy",
                content=ft.Button(
                    content=ft.Text(state.t("privacy.open"), size=state.text_size(18)),
                    icon=ft.Icons.SHIELD_OUTLINED,
                    height=56,
                    on_click=open_privacy,
                ),
            ),
            ft.Semantics(
                identifier="sign-out",
                content=ft.OutlinedButton(
                    content=ft.Text(state.t("signout.button"), size=state.text_size(18)),
                    icon=ft.Icons.LOGOUT,
                    height=56,
                    on_click=sign_out,
                ),
            ),
        ]
    return ft.Column(rows, spacing=12)
