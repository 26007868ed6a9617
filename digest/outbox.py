"""Delivery through the outbox: every (digest or alert notice, recipient) is a row that moves from
pending to sent or failed, with its attempts and the server's last reply.

A message is built from the stored digest or notice, with the row's Message-ID and the time it
was queued as its Date, so every attempt sends the same message. Each recipient gets a
transaction of its own: a permanent refusal (5xx) for one does not hold up the others. Temporary
failures (4xx, a server that cannot be reached, a connection lost) leave the row pending with a
later `next_attempt_at` (exponential backoff with jitter) until GIVE_UP_AFTER. The row is
updated the moment the server replies, so a process killed at any point, then restarted, sends
every pending message once and never resends a confirmed one; only a reply lost in flight (the
connection broke after the end of DATA, RFC 1047) can give a second copy, with the same
Message-ID.
"""

from __future__ import annotations

import fcntl
import logging
import random
import ssl
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import aiosmtplib

from digest.config import (
    REVIEW_LIST,
    SOURCE_HEALTH_LIST,
    DigestConfig,
    ProfileConfig,
    SmtpConfig,
)
from digest.errors import DeliveryError, StorageError
from digest.mail import ListName, build_message
from digest.storage import Storage
from digest.storage.base import Delivery
from digest.types import Rendered
from digest.unsubscribe import OneClick

log = logging.getLogger(__name__)

MAX_LINE = 998  # SMTP's limit on a line (RFC 5321)
GIVE_UP_AFTER = timedelta(hours=24)  # a message still not accepted a day after it was queued
FIRST_RETRY = timedelta(minutes=1)  # doubling after each failure
LONGEST_WAIT = timedelta(hours=1)
SMTP_TIMEOUT_S = 60.0  # connecting and each command
DATA_TIMEOUT_S = 600.0  # the reply to the end of DATA (RFC 5321 4.5.3.2.6: 10 minutes)
RECORD_TRIES = 3


@dataclass(frozen=True, slots=True)
class Outcome:
    delivery: Delivery
    status: str  # sent | pending (to be retried) | failed
    reply: str
    retry_at: datetime | None = None


def enqueue(
    storage: Storage, digest_id: int, recipients: Sequence[str], sender: str, now: datetime
) -> int:
    """Queue a digest for its recipients; each new row gets its Message-ID now, once."""
    return storage.enqueue(
        digest_id, [(recipient, new_message_id(sender)) for recipient in recipients], now
    )


def new_message_id(sender: str) -> str:
    return make_msgid(domain=_ascii_domain(sender.rsplit("@", 1)[-1]))


def _ascii_domain(domain: str) -> str:
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        return "digest.invalid"


def message_for(delivery: Delivery, sender: str, one_click: OneClick | None = None) -> EmailMessage:
    mail = delivery.mail
    rendered = Rendered(subject=mail.subject, text=mail.text, html=mail.html)
    return build_message(
        rendered,
        sender,
        [delivery.recipient],
        ListName(mail.list_name, "alerts" if mail.kind == "alert" else "digest"),
        delivery.created_at,
        message_id=delivery.message_id,
        one_click=one_click.url(delivery) if one_click else None,
    )


@contextmanager
def sending_lock(database: Path) -> Iterator[None]:
    """One sender at a time per database: two would both take the same pending rows."""
    with sending_turn(database) as mine:
        if not mine:
            raise DeliveryError(
                f"another digest send is running on {database} (lock {lock_path(database)}); "
                "try again later"
            )
        yield


@contextmanager
def sending_turn(database: Path) -> Iterator[bool]:
    """The sending lock if it is free (True), else False at once: for those who can leave
    the sending to whoever holds it."""
    with lock_path(database).open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def lock_path(database: Path) -> Path:
    return database.with_name(database.name + ".send.lock")


async def deliver(
    storage: Storage,
    smtp: SmtpConfig,
    now: datetime,
    wanted: Callable[[Delivery], bool] = lambda delivery: True,
    archive_url: str | None = None,
) -> list[Outcome]:
    """Try every due message of the outbox once (those `wanted`: the configuration's profiles
    and recipients; never to someone who unsubscribed). With the archive's `archive_url`, each
    message carries its recipient's one-click unsubscribe link."""
    _record_unrecorded(storage)
    gone = storage.unsubscribed()
    due = []
    for delivery in storage.due_deliveries(now):
        if delivery.id in _UNRECORDED:
            continue
        if (delivery.mail.kind, delivery.mail.list_name, delivery.recipient.lower()) in gone:
            _save(storage, delivery, "failed", "not sent: the recipient unsubscribed", now)
        elif wanted(delivery):
            due.append(delivery)
    one_click = OneClick(archive_url, storage.secret("unsubscribe")) if archive_url else None
    outcomes: list[Outcome] = []
    client: aiosmtplib.SMTP | None = None
    try:
        for position, delivery in enumerate(due):
            if client is None:
                try:
                    client = await _connect(smtp)
                except aiosmtplib.SMTPAuthenticationError as exc:
                    reply = f"login as {smtp.username!r} refused: {exc.code} {exc.message}"
                    for waiting in due[position:]:
                        outcomes.append(_record(storage, waiting, False, reply, now))
                    break
                except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
                    reply = f"cannot reach {smtp.host}:{smtp.port}: {_describe(exc)}"
                    for waiting in due[position:]:
                        outcomes.append(_record(storage, waiting, False, reply, now))
                    break
            outcome, usable = await _send_one(
                client, storage, delivery, smtp.from_addr, now, one_click
            )
            outcomes.append(outcome)
            if not usable:
                await _close(client)
                client = None
    finally:
        if client is not None:
            await _close(client)
    return outcomes


async def _connect(smtp: SmtpConfig) -> aiosmtplib.SMTP:
    password = smtp.password()
    if smtp.username and not password:
        raise DeliveryError(
            f"smtp.username is {smtp.username!r} but ${smtp.password_env} holds no password"
        )
    client = aiosmtplib.SMTP(
        hostname=smtp.host,
        port=smtp.port,
        use_tls=smtp.tls,
        start_tls=smtp.starttls and not smtp.tls,
        timeout=SMTP_TIMEOUT_S,
        tls_context=_tls_context(smtp) if smtp.tls or smtp.starttls else None,
    )
    try:
        await client.connect()
        if smtp.username:
            await client.login(smtp.username, password or "")
    except BaseException:
        client.close()  # a refused login or certificate leaves no socket behind
        raise
    return client


def _tls_context(smtp: SmtpConfig) -> ssl.SSLContext:
    """Certificates checked against the system's authorities, or those of `ca_file`."""
    try:
        return ssl.create_default_context(cafile=smtp.ca_file)
    except (OSError, ssl.SSLError) as exc:
        raise DeliveryError(f"smtp.ca_file {smtp.ca_file}: {exc}") from None


async def _send_one(
    client: aiosmtplib.SMTP,
    storage: Storage,
    delivery: Delivery,
    sender: str,
    now: datetime,
    one_click: OneClick | None,
) -> tuple[Outcome, bool]:
    """Send one message; the outcome, and whether the connection can carry the next one."""
    message = message_for(delivery, sender, one_click)
    try:
        raw, options = await _flatten(client, message, sender, delivery.recipient)
        refused, reply = await client.sendmail(
            sender, [delivery.recipient], raw, mail_options=options, timeout=DATA_TIMEOUT_S
        )
    except aiosmtplib.SMTPRecipientsRefused as exc:
        refusal = exc.recipients[0]
        text = f"{refusal.code} {refusal.message}"
        return _record(storage, delivery, refusal.code >= 500, text, now), True
    except aiosmtplib.SMTPNotSupported as exc:  # e.g. an address that needs SMTPUTF8
        return _record(storage, delivery, True, f"not supported: {_describe(exc)}", now), False
    except aiosmtplib.SMTPResponseException as exc:
        text = f"{exc.code} {exc.message}"
        return _record(storage, delivery, exc.code >= 500, text, now), False
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
        text = f"connection lost: {_describe(exc)}"
        return _record(storage, delivery, False, text, now), False
    if delivery.recipient in refused:  # a partial refusal comes back, not raised
        response = refused[delivery.recipient]
        text = f"{response.code} {response.message}"
        return _record(storage, delivery, response.code >= 500, text, now), True
    _save(storage, delivery, "sent", reply, now)
    return Outcome(delivery, "sent", reply), True


async def _flatten(
    client: aiosmtplib.SMTP, message: EmailMessage, sender: str, recipient: str
) -> tuple[bytes, list[str]]:
    """The message as sent, and its MAIL options: as aiosmtplib's send_message does, but with
    header lines up to SMTP's 998 characters, so a long one-click unsubscribe URL stays one
    word (folded at 78, Python would encode it as RFC 2047 words, which no mail client reads in
    List-Unsubscribe)."""
    if client.is_ehlo_or_helo_needed:
        await client.ehlo()
    options = []
    utf8 = not (sender + recipient).isascii()
    if utf8:
        if not client.supports_extension("smtputf8"):
            raise aiosmtplib.SMTPNotSupported("the address needs SMTPUTF8, which the server lacks")
        options.append("SMTPUTF8")
    eight_bit = client.supports_extension("8BITMIME")
    if eight_bit:
        options.append("BODY=8BITMIME")
    rules = (policy.SMTPUTF8 if utf8 else policy.SMTP).clone(
        max_line_length=MAX_LINE, cte_type="8bit" if eight_bit else "7bit"
    )
    return message.as_bytes(policy=rules), options


def _record(
    storage: Storage, delivery: Delivery, permanent: bool, reply: str, now: datetime
) -> Outcome:
    attempts = delivery.attempts + 1
    if permanent:
        _save(storage, delivery, "failed", reply, now)
        return Outcome(delivery, "failed", reply)
    if now - delivery.created_at >= GIVE_UP_AFTER:
        reply = f"gave up after {attempts} attempts over {GIVE_UP_AFTER}: {reply}"
        _save(storage, delivery, "failed", reply, now)
        return Outcome(delivery, "failed", reply)
    wait = min(FIRST_RETRY * 2 ** (attempts - 1), LONGEST_WAIT) * random.uniform(0.8, 1.2)
    retry_at = now + wait
    _save(storage, delivery, "pending", reply, now, retry_at)
    return Outcome(delivery, "pending", reply, retry_at)


def _save(
    storage: Storage,
    delivery: Delivery,
    status: str,
    reply: str,
    now: datetime,
    retry_at: datetime | None = None,
) -> None:
    """Record an attempt, trying again if the database is busy: a message the server accepted
    but the outbox does not know was sent would go again. If it stays busy, the attempt is
    kept in this process (see _UNRECORDED) and recorded at the next delivery, before anything
    is sent."""
    for attempt in range(RECORD_TRIES):
        try:
            storage.record_attempt(delivery.id, status, reply, now, retry_at)
            return
        except StorageError as exc:
            if attempt == RECORD_TRIES - 1:
                log.warning("outbox: cannot record message %d yet (%s)", delivery.id, exc)
                _UNRECORDED[delivery.id] = (status, reply, now, retry_at)
                return
            time.sleep(1.0 + attempt)


# Attempts answered by the server that the database would not take (locked, say): delivery id
# -> (status, reply, when, retry at). Until recorded, those messages are not sent again by
# this process (a restart in between may send one again, under its same Message-ID).
_UNRECORDED: dict[int, tuple[str, str, datetime, datetime | None]] = {}


def _record_unrecorded(storage: Storage) -> None:
    for delivery_id, (status, reply, when, retry_at) in list(_UNRECORDED.items()):
        try:
            storage.record_attempt(delivery_id, status, reply, when, retry_at)
        except StorageError:
            return  # still busy: the next delivery tries again
        del _UNRECORDED[delivery_id]


async def _close(client: aiosmtplib.SMTP) -> None:
    try:
        await client.quit()
    except (aiosmtplib.SMTPException, OSError, TimeoutError):
        client.close()


def _describe(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


def alert_recipients(config: DigestConfig) -> set[tuple[str, str]]:
    """(list, recipient) of every alert email: the rules', the operators' source health, and
    the reviewers' drafts ready."""
    rules = {(alert.name, to) for alert in config.alerts for to in alert.recipients}
    health = {(SOURCE_HEALTH_LIST, to) for to in config.source_health.operators}
    reviewers = {(REVIEW_LIST, r.email) for r in config.web.reviewers if r.email}
    return rules | health | reviewers


def asked_by(
    config: DigestConfig, profiles: Sequence[ProfileConfig] = ()
) -> Callable[[Delivery], bool]:
    """Which messages of the outbox the configuration still asks for (a removed recipient or
    rule gets no retries): the alerts' mail, and the digests of `profiles`."""
    asked = {
        "alert": alert_recipients(config),
        "digest": {(p.name, to) for p in profiles for to in p.recipients},
    }

    def wanted(delivery: Delivery) -> bool:
        return (delivery.mail.list_name, delivery.recipient) in asked[delivery.mail.kind]

    return wanted
