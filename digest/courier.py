"""Sending alert notices while a poll goes on.

One task delivers the due webhook sends and alert mail each time it is woken, one pass at a
time: two passes at once would take the same pending rows. Woken at the start (retries due
from earlier polls), after every batch that made notices, and a last time before the poll ends.
Alert mail needs the outbox's sending lock: when a `digest send` holds it, the mail stays
queued for the next poll or for that send, and the report says so.
"""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack, suppress
from datetime import datetime
from types import TracebackType

import httpx

from digest import outbox
from digest.alerts.webhooks import SendOutcome, deliver_webhooks
from digest.config import DigestConfig
from digest.errors import DeliveryError
from digest.storage.base import Storage


class Courier:
    def __init__(self, storage: Storage, config: DigestConfig, now: datetime) -> None:
        self._storage = storage
        self._config = config
        self._now = now
        self._wake = asyncio.Event()
        self._closing = False
        self._stack = AsyncExitStack()
        self._hooks: httpx.AsyncClient | None = None
        self._mail = False
        self._task: asyncio.Task[None] | None = None
        self.sends: list[SendOutcome] = []
        self.mails: list[outbox.Outcome] = []
        self.problem: str | None = None  # why alert mail could not be tried (it stays queued)

    async def __aenter__(self) -> Courier:
        alerts = self._config.alerts
        if any(alert.webhooks for alert in alerts):
            # the administrator's own endpoints, possibly on the intranet: not the feeds' client
            client = httpx.AsyncClient(headers={"User-Agent": self._config.fetch.user_agent})
            self._hooks = await self._stack.enter_async_context(client)
        if outbox.alert_recipients(alerts):
            self._mail = self._stack.enter_context(
                outbox.sending_turn(self._config.storage.database)
            )
            if not self._mail:
                self.problem = "another send holds the outbox; alert mail goes with the next poll"
        if self._hooks or self._mail:
            self._task = asyncio.create_task(self._run())
            self.kick()
        return self

    def kick(self) -> None:
        """Deliver what is due as soon as the current pass (if any) is over."""
        self._wake.set()

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            await self._pass()
            if self._closing and not self._wake.is_set():
                return

    async def _pass(self) -> None:
        if self._hooks:
            self.sends += await deliver_webhooks(
                self._storage, self._config.alerts, self._hooks, self._now
            )
        if self._mail:
            wanted = outbox.asked_by(self._config.alerts)
            try:
                self.mails += await outbox.deliver(
                    self._storage, self._config.smtp, self._now, wanted
                )
            except DeliveryError as exc:  # e.g. no password: every pass would fail alike
                self.problem, self._mail = str(exc), False

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        try:
            if self._task is not None:
                if error is None:
                    self._closing = True
                    self.kick()  # the last pass
                    await self._task
                else:
                    self._task.cancel()
                    with suppress(asyncio.CancelledError):
                        await self._task
        finally:
            await self._stack.aclose()
