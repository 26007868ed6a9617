"""Webhooks: each alert notice POSTed as JSON to every URL of its rule.

The body carries a `text` line that Slack, Microsoft Teams and Mattermost incoming webhooks
show as it is, and the structured fields for anything else. With the rule's `secret_env` set,
`X-Digest-Signature: sha256=<hex>` is the HMAC-SHA256 of the body with that key, so a receiver
can check the message came from this digest. A 2xx answer is sent; 408, 429, 5xx and network
errors are retried with backoff until GIVE_UP_AFTER, then the send is dead (kept, with the last
answer); any other 4xx is dead at once. Webhook URLs come from the administrator's config, so
they may be on the intranet (no private-address guard, unlike feeds).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx

from digest.alerts.notices import shown
from digest.config import AlertConfig
from digest.storage import Storage
from digest.storage.base import FiredReport, WebhookSend

GIVE_UP_AFTER = timedelta(hours=24)
FIRST_RETRY = timedelta(minutes=1)
LONGEST_WAIT = timedelta(hours=1)
TIMEOUT_S = 10.0
SIGNATURE_HEADER = "X-Digest-Signature"
RETRIED = frozenset({408, 429})
CONCURRENCY = 8  # messages in flight at once


@dataclass(frozen=True, slots=True)
class SendOutcome:
    send: WebhookSend
    status: str  # sent | pending | dead
    reply: str


NOTICE_HEADER = "X-Digest-Notice"


def payload(send: WebhookSend) -> bytes:
    """The notice as JSON: the fields of its most severe firing at the top, every story it
    carries in `alerts` (as the email shows them), and a `text` of one line each for chat
    tools."""
    notice = send.notice
    listed = shown(notice.reports)
    alerts = [_fired(report) for report in listed]
    lines = [_line(notice.rule, report) for report in listed]
    if len(lines) > 1:
        lines.insert(0, f"[{notice.rule}] {len(lines)} alerts held back by the rule's limits:")
    body = {"text": "\n".join(lines), **alerts[0], "count": len(alerts), "alerts": alerts}
    return json.dumps(body, ensure_ascii=False).encode()


def _line(rule: str, report: FiredReport) -> str:
    event = report.event
    follow_up = " (severity rose)" if event.kind == "rise" else ""
    text = f"[{rule}{follow_up}] severity {event.severity}: {report.title}"
    return f"{text} {report.url}" if report.url else text


def _fired(report: FiredReport) -> dict[str, Any]:
    event = report.event
    return {
        "rule": event.rule,
        "kind": event.kind,
        "story": event.story_id,
        "severity": event.severity,
        "title": report.title,
        "url": report.url,
        "source": report.source,
        "reasons": list(event.reasons),
        "fired_at": event.created_at.isoformat(),
    }


def signature(body: bytes, key: bytes) -> str:
    return "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()


async def deliver_webhooks(
    storage: Storage, alerts: Sequence[AlertConfig], client: httpx.AsyncClient, now: datetime
) -> list[SendOutcome]:
    """Try every due webhook send once."""
    keys = {alert.name: alert.secret() for alert in alerts}
    gate = asyncio.Semaphore(CONCURRENCY)

    async def post(send: WebhookSend) -> tuple[WebhookSend, httpx.Response | httpx.HTTPError]:
        body = payload(send)
        # the notice's id: a repeat after an ambiguous failure is recognisable (as Message-ID is)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            NOTICE_HEADER: str(send.notice.id),
        }
        key = keys.get(send.notice.rule)
        if key:
            headers[SIGNATURE_HEADER] = signature(body, key)
        async with gate:
            try:
                answer = await client.post(
                    send.target, content=body, headers=headers, timeout=TIMEOUT_S
                )
            except httpx.HTTPError as exc:
                return send, exc
        return send, answer

    outcomes = []
    for task in asyncio.as_completed([post(send) for send in storage.due_sends(now)]):
        send, answer = await task  # recorded as each answer comes
        if isinstance(answer, httpx.HTTPError):
            outcomes.append(_record(storage, send, False, f"no answer: {answer!s}", now))
            continue
        reply = f"HTTP {answer.status_code}"
        if answer.is_success:
            storage.record_send(send.id, "sent", reply, now)
            outcomes.append(SendOutcome(send, "sent", reply))
        else:
            temporary = answer.status_code in RETRIED or answer.status_code >= 500
            outcomes.append(_record(storage, send, not temporary, reply, now))
    return outcomes


def _record(
    storage: Storage, send: WebhookSend, permanent: bool, reply: str, now: datetime
) -> SendOutcome:
    if permanent or now - send.created_at >= GIVE_UP_AFTER:
        storage.record_send(send.id, "dead", reply, now)
        return SendOutcome(send, "dead", reply)
    wait = min(FIRST_RETRY * 2**send.attempts, LONGEST_WAIT) * random.uniform(0.8, 1.2)
    storage.record_send(send.id, "pending", reply, now, now + wait)
    return SendOutcome(send, "pending", reply)
