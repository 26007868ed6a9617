"""`digest status`: is the service running, when did it last poll, which sources fail, when do
the next digests go, what waits in the outbox."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from digest.config import DigestConfig, ProfileConfig
from digest.run.daemon import holder
from digest.storage import Storage


def next_send(profile: ProfileConfig, now: datetime) -> datetime:
    zone = ZoneInfo(profile.timezone)
    today = now.astimezone(zone).date()
    for day in (today, today + timedelta(days=1)):
        moment = datetime.combine(day, profile.send_at, tzinfo=zone)
        if moment > now:
            return moment
    return datetime.combine(today + timedelta(days=2), profile.send_at, tzinfo=zone)


def gather(config: DigestConfig, storage: Storage, database: Path, now: datetime) -> dict[str, Any]:
    sources = storage.sources()
    fetched = [s.last_fetch_at for s in sources if s.last_fetch_at]
    failing = [s for s in sources if s.enabled and s.consecutive_failures]
    digests = []
    for profile in config.profiles:
        today = now.astimezone(ZoneInfo(profile.timezone)).date().isoformat()
        record = storage.digest(profile.name, today)
        counts = Counter(d.status for d in storage.deliveries(record.id)) if record else Counter()
        digests.append(
            {
                "profile": profile.name,
                "next": next_send(profile, now).isoformat(),
                "today": today,
                "today_built": record is not None,
                "today_messages": dict(counts),
            }
        )
    mail, hooks = storage.outbox_backlog()
    pid = holder(database)
    return {
        "running": pid is not None,
        "pid": pid,
        "last_poll": max(fetched).isoformat() if fetched else None,
        "sources": len(sources),
        "failing": [
            {
                "name": s.name,
                "failures": s.consecutive_failures,
                "error": s.last_error,
                "since": s.last_success_at.isoformat() if s.last_success_at else None,
            }
            for s in failing
        ],
        "digests": digests,
        "outbox": {"mail": mail, "webhooks": hooks},
    }


def text(status: dict[str, Any], now: datetime) -> str:
    lines = [
        f"digest run: running (pid {status['pid']})"
        if status["running"]
        else "digest run: not running"
    ]
    if status["last_poll"]:
        age = now - datetime.fromisoformat(status["last_poll"])
        lines.append(
            f"last poll: {status['last_poll']} ({int(age.total_seconds() // 60)} min ago), "
            f"{status['sources']} source(s), {len(status['failing'])} failing"
        )
    else:
        lines.append(f"last poll: never; {status['sources']} source(s)")
    for source in status["failing"]:
        since = f", last success {source['since']}" if source["since"] else ", never succeeded"
        lines.append(
            f"  failing: {source['name']}: {source['failures']} time(s) in a row{since}: "
            f"{source['error']}"
        )
    for digest in status["digests"]:
        messages = digest["today_messages"]
        if not digest["today_built"]:
            today = "not built yet"
        else:
            today = ", ".join(f"{n} {state}" for state, n in sorted(messages.items())) or "built"
        lines.append(
            f"digest {digest['profile']}: today ({digest['today']}) {today}; next {digest['next']}"
        )
    outbox = status["outbox"]
    lines.append(
        f"outbox: {outbox['mail']} message(s), {outbox['webhooks']} webhook post(s) waiting"
    )
    return "\n".join(lines) + "\n"
