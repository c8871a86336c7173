"""Offline sync: devices push their outbox and pull changes within their scope (DESIGN.md §6)."""
