"""Sending alert notices while a poll goes on.

`send()` delivers the due webhook sends and alert mail once: at the start of a poll (retries due
from earlier polls), right after every batch that made notices (before the next source's items
are stored, so a batch's alerts never wait behind the next batch's work), and at the end. Alert
mail takes the outbox's sending lock for each of these passes only (a digest due meanwhile is
not held up for the whole poll): when another sender holds it, the mail stays queued for the
next pass or goes with that sender's, and the report says so.
"""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING

import httpx

from digest import outbox
from digest.config import DigestConfig
from digest.errors import DeliveryError
from digest.storage.base import Storage

if TYPE_CHECKING:
    from digest.alerts.webhooks import SendOutcome


class Courier:
    def __init__(self, storage: Storage, config: DigestConfig, now: datetime) -> None:
        self._storage = storage
        self._config = config
        self._now = now
        self._stack = AsyncExitStack()
        self._hooks: httpx.AsyncClient | None = None
        self._mail = False
        self.sends: list[SendOutcome] = []
        self.mails: list[outbox.Outcome] = []
        self.problem: str | None = None  # why alert mail could not be tried (it stays queued)

    async def __aenter__(self) -> Courier:
        alerts = self._config.alerts
        if any(alert.webhooks for alert in alerts):
            # the administrator's own endpoints, possibly on the intranet: not the feeds' client
            client = httpx.AsyncClient(headers={"User-Agent": self._config.fetch.user_agent})
            self._hooks = await self._stack.enter_async_context(client)
        self._mail = bool(outbox.alert_recipients(self._config))
        return self

    async def send(self) -> None:
        """Deliver what is due, once: webhooks and mail side by side."""
        await asyncio.gather(self._post(), self._mail_out())

    async def _post(self) -> None:
        if self._hooks:
            from digest.alerts.webhooks import deliver_webhooks  # the templates: only to send

            self.sends += await deliver_webhooks(
                self._storage, self._config.alerts, self._hooks, self._now
            )

    async def _mail_out(self) -> None:
        if not self._mail:
            return
        with outbox.sending_turn(self._config.storage.database) as mine:
            if not mine:
                self.problem = "another send holds the outbox; alert mail goes with it or later"
                return
            self.problem = None
            wanted = outbox.asked_by(self._config)
            try:
                self.mails += await outbox.deliver(
                    self._storage, self._config.smtp, self._now, wanted, self._config.web.base_url
                )
            except DeliveryError as exc:  # e.g. no password: every pass would fail alike
                self.problem, self._mail = str(exc), False

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        await self._stack.aclose()
