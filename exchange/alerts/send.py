"""Delivering one alert: an e-mail over SMTP (STARTTLS by default) or a JSON POST to a webhook."""

from __future__ import annotations

import json
import smtplib
import ssl
import urllib.error
import urllib.request
from email.message import EmailMessage
from typing import Any

from exchange.alerts.settings import EmailTarget
from exchange.errors import TransportError

TIMEOUT_S = 30


def send_email(target: EmailTarget, subject: str, body: str) -> None:
    """Send a plain-text message; TransportError when the server refuses or cannot be reached."""
    message = EmailMessage()
    message["From"] = target.sender
    message["To"] = ", ".join(target.to)
    message["Subject"] = subject
    message.set_content(body)
    try:
        with smtplib.SMTP(target.host, target.port, timeout=TIMEOUT_S) as smtp:
            smtp.ehlo()
            if target.starttls:
                context = ssl.create_default_context(
                    cafile=str(target.cafile) if target.cafile else None)
                smtp.starttls(context=context)
                smtp.ehlo()
            password = target.password()
            if target.user and password is not None:
                smtp.login(target.user, password)
            smtp.send_message(message)
    except (smtplib.SMTPException, OSError) as exc:
        raise TransportError(f"e-mail to {', '.join(target.to)} via {target.host}:{target.port} "
                             f"failed: {exc}", retryable=True) from exc


def post_webhook(url: str, payload: dict[str, Any]) -> None:
    """POST the payload as JSON; TransportError unless the answer is 2xx."""
    data = json.dumps(payload, ensure_ascii=False, default=str).encode("utf-8")
    request = urllib.request.Request(url, data=data, method="POST",  # noqa: S310 (http(s) checked on load)
                                     headers={"Content-Type": "application/json",
                                              "User-Agent": "exchange-alerts"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as answer:  # noqa: S310
            answer.read()
    except (urllib.error.URLError, OSError) as exc:
        raise TransportError(f"webhook {url} failed: {exc}", retryable=True) from exc
