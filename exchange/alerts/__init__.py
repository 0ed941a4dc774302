"""Alerts: e-mail and webhook messages when something needs a person, throttled, every one in the history."""
