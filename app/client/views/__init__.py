"""Thin Flet views: they build controls from AppState and forward events to it."""
