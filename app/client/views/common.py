"""Small building blocks every screen uses, sized by the user's text-size choice."""

import flet as ft

from app.client.state import AppState


def heading(state: AppState, key: str) -> ft.Control:
    """The screen's title; tests find it by its semantics identifier."""
    return ft.Semantics(
        identifier="section-title",
        header=True,
        content=ft.Text(state.t(key), size=state.text_size(26), weight=ft.FontWeight.BOLD),
    )


def paragraph(state: AppState, text: str) -> ft.Text:
    return ft.Text(text, size=state.text_size(18))
