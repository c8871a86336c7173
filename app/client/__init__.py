"""The app's logic in plain Python (state, API client, i18n); views stay thin."""
