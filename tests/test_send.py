"""Delivery through the outbox to a real SMTP server (aiosmtpd) on loopback: messages parse back
with their headers and Arabic text, a refused recipient does not hold up the others, temporary
failures are retried with the same Message-ID, nothing is sent twice, `digest send` end to end."""

from __future__ import annotations

import asyncio
import json
import socket
import sqlite3
import ssl
import subprocess
import sys
import threading
import time as clock
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from digest import outbox
from digest.briefing import window
from digest.config import ProfileConfig, SmtpConfig
from digest.outbox import deliver, enqueue, sending_lock
from digest.pipeline import due_day
from digest.storage.sqlite import SqliteStorage

from .conftest import Mailbox, free_port
from .test_cli import digest

NOW = datetime(2026, 3, 24, 4, 30, tzinfo=UTC)
ARABIC = "غارة من مسيرة على سيارة في عيترون"
TWO = ["a@example.org", "b@example.org"]


def outbox_with_digest(path: Path, recipients: list[str]) -> tuple[SqliteStorage, int]:
    storage = SqliteStorage(path)
    digest_id = storage.save_digest(
        "beirut-office",
        "2026-03-24",
        (NOW - timedelta(days=1), NOW),
        NOW,
        f"Security digest: 3 incidents ({ARABIC})",
        f"<html><body><p dir='auto'>{ARABIC}</p></body></html>",
        f"SECURITY DIGEST\n{ARABIC}\n",
        ["s1", "s2", "s3"],
    )
    enqueue(storage, digest_id, recipients, "digest@example.org", NOW)
    return storage, digest_id


def smtp(port: int) -> SmtpConfig:
    return SmtpConfig(host="127.0.0.1", port=port, from_addr="digest@example.org")


def test_messages_parse_back_with_headers_and_arabic_and_go_once(
    tmp_path: Path, mailbox: tuple[Mailbox, int]
) -> None:
    handler, port = mailbox
    storage, digest_id = outbox_with_digest(
        tmp_path / "d.sqlite3", ["a@example.org", "b@example.org"]
    )
    outcomes = asyncio.run(deliver(storage, smtp(port), NOW))
    assert [o.status for o in outcomes] == ["sent", "sent"]
    assert sorted(r[0][0] for r in handler.received) == ["a@example.org", "b@example.org"]
    rows = {d.recipient: d for d in storage.deliveries(digest_id)}
    for recipients, message in handler.received:
        assert message.get_content_type() == "multipart/alternative"
        kinds = [part.get_content_type() for part in message.iter_parts()]
        assert kinds == ["text/plain", "text/html"]
        assert ARABIC in message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        assert ARABIC in message.get_body(("html",)).get_content()  # type: ignore[union-attr]
        assert ARABIC in str(message["Subject"])
        assert message["Message-ID"] == rows[recipients[0]].message_id
        assert message["To"] == recipients[0]
        assert message["Auto-Submitted"] == "auto-generated"
        assert "beirut-office" in str(message["List-Id"])
        assert str(message["List-Unsubscribe"]).strip().startswith("<mailto:")
        assert message["Date"]
    assert {d.status for d in rows.values()} == {"sent"}
    # a second run finds nothing due, and queueing again adds nobody
    assert asyncio.run(deliver(storage, smtp(port), NOW + timedelta(hours=1))) == []
    assert enqueue(storage, digest_id, ["a@example.org"], "digest@example.org", NOW) == 0
    assert len(handler.received) == 2
    storage.close()


def test_a_refused_recipient_fails_alone(tmp_path: Path, mailbox: tuple[Mailbox, int]) -> None:
    handler, port = mailbox
    handler.refuse = {"gone@example.org"}
    storage, digest_id = outbox_with_digest(
        tmp_path / "d.sqlite3", ["a@example.org", "gone@example.org", "c@example.org"]
    )
    asyncio.run(deliver(storage, smtp(port), NOW))
    rows = {d.recipient: d for d in storage.deliveries(digest_id)}
    assert rows["gone@example.org"].status == "failed"
    assert rows["gone@example.org"].last_reply.startswith("550")  # type: ignore[union-attr]
    assert rows["a@example.org"].status == rows["c@example.org"].status == "sent"
    assert len(handler.received) == 2
    storage.close()


def test_a_temporary_failure_is_retried_later_with_the_same_message_id(
    tmp_path: Path, mailbox: tuple[Mailbox, int]
) -> None:
    handler, port = mailbox
    handler.fail_data = 1
    storage, digest_id = outbox_with_digest(tmp_path / "d.sqlite3", ["a@example.org"])
    (first,) = asyncio.run(deliver(storage, smtp(port), NOW))
    assert first.status == "pending" and first.reply.startswith("451")
    assert first.retry_at is not None and first.retry_at > NOW
    assert asyncio.run(deliver(storage, smtp(port), NOW + timedelta(seconds=5))) == []  # not yet
    (second,) = asyncio.run(deliver(storage, smtp(port), first.retry_at))
    assert second.status == "sent"
    ((_, message),) = handler.received
    (row,) = storage.deliveries(digest_id)
    assert message["Message-ID"] == row.message_id and row.attempts == 2
    storage.close()


def test_an_unreachable_server_leaves_everything_pending(tmp_path: Path) -> None:
    storage, digest_id = outbox_with_digest(
        tmp_path / "d.sqlite3", ["a@example.org", "b@example.org"]
    )
    outcomes = asyncio.run(deliver(storage, smtp(free_port()), NOW))
    assert {o.status for o in outcomes} == {"pending"}
    assert all("cannot reach 127.0.0.1" in o.reply for o in outcomes)
    assert {d.attempts for d in storage.deliveries(digest_id)} == {1}
    storage.close()


def demo_with_profile(folder: Path, port: int, recipients: list[str]) -> Path:
    """The demo's database, and a config sending its digests to `recipients` through `port`."""
    assert digest("demo", "--out", "out", cwd=folder).returncode == 0
    config = folder / "digest.toml"
    config.write_text(
        '[storage]\ndatabase = "out/digest.sqlite3"\n'
        f'[smtp]\nhost = "127.0.0.1"\nport = {port}\nfrom_addr = "digest@example.org"\n'
        f'[[profiles]]\nname = "beirut-office"\nrecipients = {json.dumps(recipients)}\n'
        'timezone = "Asia/Beirut"\nsend_at = "06:30"\nmin_severity = 2\n',
        encoding="utf-8",
    )
    return config


def test_digest_send_builds_queues_and_sends_the_days_digest(
    tmp_path: Path, mailbox: tuple[Mailbox, int]
) -> None:
    handler, port = mailbox
    config = demo_with_profile(tmp_path, port, ["security@example.org"])
    sent = digest("--config", str(config), "send", "--date", "2026-03-24", cwd=tmp_path)
    assert sent.returncode == 0, sent.stderr
    assert "1 sent, 0 to retry, 0 failed." in sent.stdout
    ((recipients, message),) = handler.received
    assert recipients == ["security@example.org"]
    assert "Aitaroun" in message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    again = digest("--config", str(config), "send", "--date", "2026-03-24", cwd=tmp_path)
    assert again.returncode == 0 and "0 message(s) queued" in again.stdout
    assert len(handler.received) == 1


def test_digest_send_exits_1_and_explains_when_the_server_is_down(tmp_path: Path) -> None:
    config = demo_with_profile(tmp_path, free_port(), ["security@example.org"])
    sent = digest("--config", str(config), "send", "--date", "2026-03-24", cwd=tmp_path)
    assert sent.returncode == 1
    assert "cannot reach 127.0.0.1" in sent.stderr and "retry after" in sent.stderr
    assert "Traceback" not in sent.stderr


HOSTILE = [
    "Strike\r\nBcc: victim@example.org",
    "nul\x00byte",
    "\u202eevil\u202c reversed",
    "<script>alert(1)</script><img src=x onerror=alert(2)>",
    "long " * 1000,
]


def test_hostile_text_never_breaks_a_message_or_its_headers(
    tmp_path: Path, mailbox: tuple[Mailbox, int]
) -> None:
    handler, port = mailbox
    storage = SqliteStorage(tmp_path / "d.sqlite3")
    body = "\n".join(HOSTILE)
    digest_id = storage.save_digest(
        "p",
        "2026-03-24",
        (NOW - timedelta(days=1), NOW),
        NOW,
        " | ".join(HOSTILE),
        body,
        body,
        ["s1"],
    )
    enqueue(storage, digest_id, ["a@example.org"], "digest@example.org", NOW)
    (outcome,) = asyncio.run(deliver(storage, smtp(port), NOW))
    assert outcome.status == "sent", outcome.reply
    ((recipients, message),) = handler.received
    assert recipients == ["a@example.org"]
    assert message["Bcc"] is None
    subject = str(message["Subject"])
    assert "\r" not in subject and "\n" not in subject and "\x00" not in subject
    assert "\u202e" not in subject and len(subject) <= 200
    plain = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "<script>alert(1)</script>" in plain and "long long" in plain
    storage.close()


def test_a_send_killed_mid_run_then_restarted_loses_nothing(
    tmp_path: Path, mailbox: tuple[Mailbox, int]
) -> None:
    handler, port = mailbox
    everyone = [f"officer{n:03d}@example.org" for n in range(200)]
    config = demo_with_profile(tmp_path, port, everyone)
    command = [
        sys.executable,
        "-m",
        "digest",
        "--config",
        str(config),
        "send",
        "--date",
        "2026-03-24",
    ]
    running = subprocess.Popen(
        command, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = clock.monotonic() + 60
    while len(handler.received) < 50 and clock.monotonic() < deadline:
        clock.sleep(0.005)
    running.kill()  # SIGKILL, in the middle of the run
    running.wait()
    killed_at = len(handler.received)
    assert 50 <= killed_at < 200
    again = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    got: dict[str, list[str]] = {}
    for recipients, message in handler.received:
        got.setdefault(recipients[0], []).append(str(message["Message-ID"]))
    assert sorted(got) == everyone  # none lost
    twice = {r: ids for r, ids in got.items() if len(ids) > 1}
    # a second copy only for a reply lost to the kill, and then the same message
    assert len(twice) <= 1 and all(len(set(ids)) == 1 for ids in twice.values())
    print(f"killed after {killed_at} of 200; received {len(handler.received)}, twice: {twice}")


def test_a_digest_covers_every_day_since_the_last_one_sent_up_to_a_cap() -> None:
    profile = ProfileConfig(name="p", timezone="Asia/Beirut", send_at="06:30", max_window_days=3)
    zone = ZoneInfo("Asia/Beirut")
    day = date(2026, 3, 24)
    end = datetime(2026, 3, 24, 6, 30, tzinfo=zone)
    assert window(profile, day) == (end - timedelta(days=1), end)  # none sent yet
    assert window(profile, day, end - timedelta(days=1)) == (end - timedelta(days=1), end)
    missed_one = end - timedelta(days=2)
    assert window(profile, day, missed_one) == (missed_one, end)
    assert window(profile, day, end - timedelta(days=10)) == (end - timedelta(days=3), end)


def test_only_a_digest_that_reached_someone_moves_the_next_window(tmp_path: Path) -> None:
    storage = SqliteStorage(tmp_path / "d.sqlite3")
    ends = {}
    for day in ("2026-03-21", "2026-03-22"):
        end = datetime.fromisoformat(f"{day}T04:30:00+00:00")
        ends[day] = end
        digest_id = storage.save_digest(
            "p", day, (end - timedelta(days=1), end), end, "s", "h", "t", []
        )
        enqueue(storage, digest_id, ["a@example.org"], "digest@example.org", end)
        (row,) = storage.deliveries(digest_id)
        status = "sent" if day == "2026-03-21" else "failed"
        storage.record_attempt(row.id, status, "250 ok" if status == "sent" else "550 no", end)
    assert storage.last_sent_until("p", "2026-03-24") == ends["2026-03-21"]
    assert storage.last_sent_until("p", "2026-03-21") is None
    assert storage.last_sent_until("other", "2026-03-24") is None
    storage.close()


@pytest.mark.parametrize(
    ("zone", "send_at", "start"),
    [
        ("Asia/Beirut", "00:30", date(2026, 3, 27)),  # 29 March: 00:00-00:59 does not exist
        ("Asia/Beirut", "23:30", date(2026, 10, 22)),  # 24 October: 23:00-23:59 happens twice
        ("America/New_York", "02:30", date(2026, 3, 6)),  # 8 March: 02:00-02:59 does not exist
        ("America/New_York", "01:30", date(2026, 10, 30)),  # 1 November: 01:00-01:59 twice
    ],
)
def test_each_local_date_is_due_exactly_once_across_dst_changes(
    zone: str, send_at: str, start: date
) -> None:
    profile = ProfileConfig(name="p", timezone=zone, send_at=send_at)
    tick = datetime.combine(start, time(0, 0), tzinfo=ZoneInfo(zone)).astimezone(UTC)
    sent: list[date] = []
    for _ in range(5 * 24 * 12):  # every five minutes for five days
        day = due_day(profile, tick)
        if day is not None and day not in sent:
            sent.append(day)
            # due at the first tick at or after the send time read in the zone on that date
            planned = datetime.combine(day, profile.send_at, tzinfo=ZoneInfo(zone))
            assert planned <= tick < planned + timedelta(minutes=5)
        tick += timedelta(minutes=5)
    assert sent == [start + timedelta(days=n) for n in range(len(sent))]  # every date, once
    assert len(sent) >= 4


class Busy(threading.Thread):
    """A server that greets every connection with 421 and hangs up."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])

    def run(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            with connection:
                connection.sendall(b"421 4.3.2 too busy, try later\r\n")


def test_a_421_greeting_leaves_the_messages_pending(tmp_path: Path) -> None:
    busy = Busy()
    busy.start()
    storage, _ = outbox_with_digest(tmp_path / "d.sqlite3", TWO)
    outcomes = asyncio.run(deliver(storage, smtp(busy.port), NOW))
    busy.listener.close()
    assert {o.status for o in outcomes} == {"pending"}
    assert all("421" in o.reply for o in outcomes), [o.reply for o in outcomes]
    storage.close()


@pytest.mark.parametrize("accepted", [False, True])
def test_a_connection_dropped_in_data_is_retried_and_copies_share_the_message_id(
    tmp_path: Path, mailbox: tuple[Mailbox, int], accepted: bool
) -> None:
    handler, port = mailbox
    handler.drop_data = 1
    handler.keep_dropped = accepted  # True: the server took the message, the reply was lost
    storage, _ = outbox_with_digest(tmp_path / "d.sqlite3", ["a@example.org"])
    (first,) = asyncio.run(deliver(storage, smtp(port), NOW))
    assert first.status == "pending" and first.reply.startswith("connection lost"), first.reply
    assert first.retry_at is not None
    (second,) = asyncio.run(deliver(storage, smtp(port), first.retry_at))
    assert second.status == "sent"
    ids = [str(message["Message-ID"]) for _, message in handler.received]
    assert len(ids) == (2 if accepted else 1) and len(set(ids)) == 1
    storage.close()


@pytest.fixture(scope="module")
def authority() -> trustme.CA:
    return trustme.CA()


def tls_server(handler: Mailbox, authority: trustme.CA, implicit: bool) -> tuple[Controller, int]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    port = free_port()

    def check(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        good = data.login == b"digest" and data.password == b"s3cret"
        return AuthResult(success=good, handled=False)

    if implicit:
        controller = Controller(
            handler,
            hostname="127.0.0.1",
            port=port,
            ssl_context=context,
            authenticator=check,
            auth_require_tls=False,
        )
    else:
        controller = Controller(
            handler,
            hostname="127.0.0.1",
            port=port,
            tls_context=context,
            require_starttls=True,
            authenticator=check,
        )
    controller.start()
    return controller, port


@pytest.mark.parametrize("implicit", [False, True])
def test_tls_and_starttls_with_login_and_a_private_authority(
    tmp_path: Path, authority: trustme.CA, implicit: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    handler = Mailbox()
    controller, port = tls_server(handler, authority, implicit)
    ca_file = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(ca_file))
    monkeypatch.setenv("DIGEST_SMTP_PASSWORD", "s3cret")
    settings = SmtpConfig(
        host="127.0.0.1",
        port=port,
        tls=implicit,
        starttls=not implicit,
        username="digest",
        from_addr="digest@example.org",
        ca_file=ca_file,
    )
    try:
        storage, _ = outbox_with_digest(tmp_path / "d.sqlite3", ["a@example.org"])
        (outcome,) = asyncio.run(deliver(storage, settings, NOW))
        assert outcome.status == "sent", outcome.reply
        assert len(handler.received) == 1
        storage.close()

        # a certificate no trusted authority signed is refused, and nothing is sent
        untrusted = settings.model_copy(update={"ca_file": None})
        storage, _ = outbox_with_digest(tmp_path / "e.sqlite3", ["b@example.org"])
        (outcome,) = asyncio.run(deliver(storage, untrusted, NOW))
        assert outcome.status == "pending" and "certificate" in outcome.reply.lower()
        storage.close()

        # a wrong password says so
        monkeypatch.setenv("DIGEST_SMTP_PASSWORD", "wrong")
        storage, _ = outbox_with_digest(tmp_path / "f.sqlite3", ["c@example.org"])
        (outcome,) = asyncio.run(deliver(storage, settings, NOW))
        assert outcome.status == "pending" and "login as 'digest' refused: 535" in outcome.reply
        storage.close()
        assert len(handler.received) == 1
    finally:
        controller.stop()


def test_two_senders_on_one_database_are_refused(tmp_path: Path) -> None:
    config = demo_with_profile(tmp_path, free_port(), ["security@example.org"])
    with sending_lock(tmp_path / "out" / "digest.sqlite3"):
        sent = digest("--config", str(config), "send", "--date", "2026-03-24", cwd=tmp_path)
    assert sent.returncode == 2
    assert "another digest send is running" in sent.stderr and "Traceback" not in sent.stderr


def test_a_digest_in_the_outbox_is_never_rebuilt_under_its_recipients(tmp_path: Path) -> None:
    storage, digest_id = outbox_with_digest(tmp_path / "d.sqlite3", ["a@example.org"])
    span = (NOW - timedelta(days=1), NOW)
    storage.save_digest("beirut-office", "2026-03-24", span, NOW, "changed", "h", "t", [])
    record = storage.digest("beirut-office", "2026-03-24")
    assert record is not None and record.id == digest_id and record.subject != "changed"
    storage.close()


def test_a_digest_cannot_be_sent_before_its_window_ends(tmp_path: Path) -> None:
    config = demo_with_profile(tmp_path, free_port(), ["security@example.org"])
    sent = digest("--config", str(config), "send", "--date", "2099-01-01", cwd=tmp_path)
    assert sent.returncode == 2 and "it cannot be sent before then" in sent.stderr


def test_only_recipients_still_configured_get_messages(
    tmp_path: Path, mailbox: tuple[Mailbox, int]
) -> None:
    handler, port = mailbox
    both = ["kept@example.org", "gone@example.org"]
    storage, _ = outbox_with_digest(tmp_path / "d.sqlite3", both)
    outcomes = asyncio.run(
        deliver(storage, smtp(port), NOW, lambda d: d.recipient == "kept@example.org")
    )
    assert [o.delivery.recipient for o in outcomes] == ["kept@example.org"]
    assert [r[0] for r in handler.received] == [["kept@example.org"]]
    storage.close()


def test_a_window_starts_where_the_last_one_sent_ended_even_after_send_at_moved() -> None:
    profile = ProfileConfig(name="p", timezone="Asia/Beirut", send_at="06:30")
    end = datetime(2026, 3, 24, 6, 30, tzinfo=ZoneInfo("Asia/Beirut"))
    later_last = end - timedelta(hours=20)  # send_at was 10:30 until yesterday
    assert window(profile, date(2026, 3, 24), later_last) == (later_last, end)


def test_a_message_accepted_while_the_database_is_locked_goes_once(
    tmp_path: Path, mailbox: tuple[Mailbox, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server accepted the message, and another process held the database when the
    outbox went to record it: the attempt is kept and recorded at the next delivery, and the
    message is not sent again (it was sent again, and the poll failed; found by a fault hunt)."""
    handler, port = mailbox
    path = tmp_path / "d.sqlite3"
    storage, digest_id = outbox_with_digest(path, ["a@example.org"])
    storage._db.execute("PRAGMA busy_timeout = 50")
    other = sqlite3.connect(path, isolation_level=None)
    record = storage.record_attempt

    def while_locked(*args: Any) -> None:
        other.execute("BEGIN IMMEDIATE")  # a real lock, by a second connection
        try:
            record(*args)
        finally:
            other.execute("ROLLBACK")

    monkeypatch.setattr(outbox, "RECORD_TRIES", 1)
    monkeypatch.setattr(storage, "record_attempt", while_locked)
    assert [o.status for o in asyncio.run(deliver(storage, smtp(port), NOW))] == ["sent"]
    assert [d.status for d in storage.deliveries(digest_id)] == ["pending"]
    monkeypatch.setattr(storage, "record_attempt", record)  # the lock is gone
    assert asyncio.run(deliver(storage, smtp(port), NOW + timedelta(hours=1))) == []
    assert [d.status for d in storage.deliveries(digest_id)] == ["sent"]
    assert len(handler.received) == 1
    other.close()
    storage.close()
