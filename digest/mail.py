"""Email messages for digests: multipart/alternative with the headers mail clients and list
tools expect. Delivery through the outbox comes with the SMTP work."""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from digest.types import Rendered


def build_message(
    rendered: Rendered,
    sender: str,
    recipients: list[str],
    profile: str,
    now: datetime,
    message_id: str | None = None,
) -> EmailMessage:
    domain = sender.rsplit("@", 1)[-1]
    message = EmailMessage()
    message["Subject"] = rendered.subject
    message["From"] = sender
    message["To"] = ", ".join(recipients) if recipients else sender
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id or make_msgid(domain=domain)
    message["List-Id"] = f"digest {profile} <{profile}.digest.{domain}>"
    message["List-Unsubscribe"] = f"<mailto:{sender}?subject=unsubscribe%20{profile}>"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(rendered.text, subtype="plain", charset="utf-8")
    message.add_alternative(rendered.html, subtype="html", charset="utf-8")
    return message
