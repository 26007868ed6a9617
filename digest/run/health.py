"""The optional health endpoint of `digest run` (`[run] health_port`): GET /health answers 200
with a JSON summary while polls happen on time, 503 when the last one is overdue (for a load
balancer, a monitoring probe or systemd's watchdog script)."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from digest.errors import DigestError

if TYPE_CHECKING:
    from digest.run.daemon import Daemon

OVERDUE_POLLS = 3  # the last poll may be this many periods old


def report(daemon: Daemon) -> tuple[int, dict[str, Any]]:
    service = daemon.service
    now = daemon.clock.now()
    # a poll may take a minute on top of its period; on a simulated clock, so much longer
    allowed = (daemon.config.run.poll_every_s * OVERDUE_POLLS + 60) * daemon.clock.speed
    mail, hooks = daemon.storage.outbox_backlog()
    last = service.last_poll
    ok = last is not None and now - last <= timedelta(seconds=allowed)
    body = {
        "status": "ok" if ok else "overdue",
        "now": now.isoformat(),
        "last_poll": last.isoformat() if last else None,
        "outbox": {"mail": mail, "webhooks": hooks},
        "jobs": {
            job.id: job.next_run_time.isoformat() if job.next_run_time else None
            for job in daemon.scheduler.get_jobs()
        },
    }
    return (200 if ok else 503), body


async def start(daemon: Daemon) -> asyncio.Server | None:
    port = daemon.config.run.health_port
    if port is None:
        return None

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            try:
                request = await asyncio.wait_for(reader.readline(), timeout=5)
                if request.split(b" ")[1:2] == [b"/health"]:
                    status, body = report(daemon)
                else:
                    status, body = 404, {"error": "GET /health"}
            except (ValueError, DigestError) as exc:  # an endless request line; the database
                status, body = 500, {"status": "error", "error": str(exc)}
            payload = json.dumps(body).encode()
            reason = {200: "OK", 404: "Not Found", 500: "Error", 503: "Service Unavailable"}[status]
            writer.write(
                f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n".encode()
                + payload
            )
            await writer.drain()
        except (TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()

    return await asyncio.start_server(answer, daemon.config.web.host, port)
