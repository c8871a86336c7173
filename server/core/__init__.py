"""Shared plumbing for every feature: settings, database, errors, logging, middleware."""
