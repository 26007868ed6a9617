"""Email messages for digests and alerts: multipart/alternative with the headers mail clients
and list tools expect. Delivery is in digest.outbox."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from urllib.parse import quote

from digest.types import Rendered

# control characters (CR and LF would start a new header) and bidi overrides (they can reverse
# what a reader sees) have no place in a header
_UNSAFE_IN_HEADER = re.compile("[\x00-\x1f\x7f\u202a-\u202e\u2066-\u2069]+")
SUBJECT_CHARS = 200


def header_text(value: str, limit: int = SUBJECT_CHARS) -> str:
    """A value made safe for one header line: no control or bidi override characters, at
    most `limit` characters."""
    clean = " ".join(_UNSAFE_IN_HEADER.sub(" ", value).split())
    return clean if len(clean) <= limit else clean[: limit - 1].rstrip() + "…"


@dataclass(frozen=True, slots=True)
class ListName:
    """Who a message is from, for List-Id and unsubscribing: a profile's digest, a rule's
    alerts."""

    name: str
    kind: str = "digest"  # digest | alerts


def build_message(
    rendered: Rendered,
    sender: str,
    recipients: list[str],
    listed: ListName,
    now: datetime,
    message_id: str | None = None,
    one_click: str | None = None,
) -> EmailMessage:
    """`one_click`: the recipient's RFC 8058 unsubscribe URL, when the web archive answers it."""
    domain = sender.rsplit("@", 1)[-1]
    message = EmailMessage()
    message["Subject"] = header_text(rendered.subject)
    message["From"] = sender
    message["To"] = ", ".join(recipients) if recipients else sender
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id or make_msgid(domain=domain)
    name, kind = listed.name, listed.kind
    label = name if kind == "digest" else f"{kind} {name}"
    message["List-Id"] = f"digest {label} <{name}.{kind}.{domain}>"
    mailto = f"<mailto:{sender}?subject={quote('unsubscribe ' + label)}>"
    message["List-Unsubscribe"] = f"{mailto}, <{one_click}>" if one_click else mailto
    if one_click:
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(rendered.text, subtype="plain", charset="utf-8")
    message.add_alternative(rendered.html, subtype="html", charset="utf-8")
    return message
