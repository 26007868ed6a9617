"""Alert notices: a rule's throttle (at most N messages an hour, the rest batched into the next)
and quiet hours (with a severity bypass), planned in pure code and then delivered for real:
SQLite, the outbox and an SMTP server (aiosmtpd) on loopback, with the clock injected."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from digest.alerts.fire import Firing
from digest.alerts.notices import batches, quiet, shown
from digest.config import AlertConfig, DigestConfig, SmtpConfig
from digest.intake import dispatch_alerts
from digest.outbox import asked_by, deliver
from digest.render import environment
from digest.signals.classify import Classifier, Text
from digest.storage.base import AlertEvent, FiredReport, NewSource
from digest.storage.migrations import LATEST
from digest.storage.sqlite import SqliteStorage
from digest.types import AssessedItem, Story, StoryMember

from .conftest import Mailbox, database_at
from .test_storage import items as cedar_items

NOW = datetime(2026, 3, 24, 9, 0, tzinfo=UTC)  # 11:00 in Beirut (UTC+2 until 29 March)


def report(number: int, story: str, severity: int = 3, kind: str = "new") -> FiredReport:
    event = AlertEvent(
        number, "r", story, f"i{number}", kind, severity, ("why",), NOW, "pending", None
    )
    return FiredReport(event, f"title {number}", None, "NNA")


def stories_of(groups: list[list[FiredReport]]) -> list[list[str]]:
    return [[r.event.story_id for r in group] for group in groups]


PENDING = [report(n, f"s{n}") for n in range(1, 6)]


def test_without_limits_each_firing_is_a_message_of_its_own() -> None:
    alert = AlertConfig(name="r", query="x")
    assert stories_of(batches(alert, PENDING, [], NOW)) == [["s1"], ["s2"], ["s3"], ["s4"], ["s5"]]


def test_the_throttle_sends_what_it_may_and_batches_the_rest_into_the_last_message() -> None:
    alert = AlertConfig(name="r", query="x", max_per_hour=3)
    assert stories_of(batches(alert, PENDING, [], NOW)) == [["s1"], ["s2"], ["s3", "s4", "s5"]]
    two_sent = [NOW - timedelta(minutes=50), NOW - timedelta(minutes=5)]
    assert stories_of(batches(alert, PENDING, two_sent, NOW)) == [["s1", "s2", "s3", "s4", "s5"]]
    three_sent = [*two_sent, NOW - timedelta(minutes=1)]
    assert batches(alert, PENDING, three_sent, NOW) == []  # they wait
    aged = [NOW - timedelta(minutes=61), *two_sent[1:], NOW - timedelta(minutes=1)]
    assert len(batches(alert, PENDING, aged, NOW)) == 1  # an hour on, one message carries all


def test_quiet_hours_hold_firings_back_except_the_most_severe() -> None:
    alert = AlertConfig(
        name="r",
        query="x",
        quiet_hours="22:00-06:30",
        timezone="Asia/Beirut",
        quiet_bypass_severity=4,
    )
    pending = [report(1, "a", severity=2), report(2, "b", severity=4), report(3, "c", severity=3)]
    night = datetime(2026, 3, 24, 21, 30, tzinfo=UTC)  # 23:30 in Beirut
    assert quiet(alert, night)
    assert stories_of(batches(alert, pending, [], night)) == [["b"]]
    morning = datetime(2026, 3, 25, 4, 30, tzinfo=UTC)  # 06:30 in Beirut: the end is open
    assert not quiet(alert, morning)
    assert stories_of(batches(alert, pending, [], morning)) == [["a"], ["b"], ["c"]]
    assert quiet(alert, morning - timedelta(minutes=1))
    assert not quiet(alert, NOW)
    daytime = AlertConfig(name="r", query="x", quiet_hours="12:00-14:00", timezone="UTC")
    assert quiet(daytime, NOW.replace(hour=13)) and not quiet(daytime, NOW.replace(hour=14))


def test_a_story_that_fired_twice_before_its_message_is_shown_once_as_it_is_now() -> None:
    first, rise, other = report(1, "s", 3), report(2, "t", 2), report(3, "s", 4, "rise")
    groups = batches(AlertConfig(name="r", query="x"), [first, rise, other], [], NOW)
    assert stories_of(groups) == [["s", "s"], ["t"]]
    assert shown(groups[0]) == [other]
    assert shown([first, rise, other]) == [other, rise]  # most severe first


def test_a_batched_webhook_carries_each_story_once_most_severe_first() -> None:
    import json

    from digest.alerts.webhooks import payload
    from digest.storage.base import Notice, WebhookSend

    first, other, rise = report(1, "s", 3), report(2, "t", 2), report(3, "s", 4, "rise")
    notice = Notice(9, "r", NOW, (first, other, rise))
    body = json.loads(payload(WebhookSend(1, "https://hooks.example/x", 0, NOW, notice)))
    assert [(a["story"], a["kind"]) for a in body["alerts"]] == [("s", "rise"), ("t", "new")]
    assert body["count"] == 2 and body["severity"] == 4
    assert body["text"].splitlines()[0] == "[r] 2 alerts held back by the rule's limits:"


@pytest.mark.parametrize("value", ["22:00", "25:00-06:00", "22:00-22:00", "10pm-6am", "22:00-6:30"])
def test_bad_quiet_hours_are_refused_with_the_expected_form(value: str) -> None:
    with pytest.raises(ValueError, match="quiet hours"):
        AlertConfig(name="r", query="x", quiet_hours=value)


class Desk:
    """A database with stored reports, a rule with recipients, and the steps of a poll with an
    injected clock: record firings, dispatch notices, deliver the outbox."""

    def __init__(self, path: Path, alert: AlertConfig, port: int) -> None:
        self.storage = SqliteStorage(path)
        self.storage.sync_sources([NewSource("Cedar", "https://cedar.example/rss")], "config")
        self.stored = cedar_items()
        self.storage.store_items(self.storage.source("Cedar").id, self.stored)
        self.classifier = Classifier.from_signals()
        self.alert = alert
        self.smtp = SmtpConfig(host="127.0.0.1", port=port, from_addr="digest@example.org")

    def fire(self, number: int, severity: int, now: datetime, kind: str = "new") -> None:
        item = self.stored[number]
        assessment = self.classifier.classify(Text(item.id, item.title, item.text)).assessment
        story = Story(
            f"story{number}",
            (StoryMember(item.id, "first report"),),
            now,
            now,
            severity,
            ("airstrike",),
            None,
        )
        entry = AssessedItem(item, assessment)
        firing = Firing(self.alert.name, story, entry, ("category airstrike",), kind)
        self.storage.record_firings([firing], now)

    def poll(self, now: datetime) -> list[str]:
        """Dispatch and deliver; the statuses of the messages tried."""
        dispatch_alerts(self.storage, [self.alert], environment, self.smtp, now)
        wanted = asked_by(DigestConfig(alerts=[self.alert]))
        return [o.status for o in asyncio.run(deliver(self.storage, self.smtp, now, wanted))]


def test_a_throttled_rule_sends_the_rest_in_one_message_an_hour_later_once(
    tmp_path: Path, mailbox: tuple[Mailbox, int]
) -> None:
    handler, port = mailbox
    alert = AlertConfig(name="south", query="x", max_per_hour=1, recipients=["duty@example.org"])
    desk = Desk(tmp_path / "d.sqlite3", alert, port)
    desk.fire(0, 3, NOW)
    assert desk.poll(NOW) == ["sent"]
    desk.fire(1, 2, NOW + timedelta(minutes=10))
    desk.fire(2, 3, NOW + timedelta(minutes=20))
    assert desk.poll(NOW + timedelta(minutes=20)) == []  # the hour's one message went
    handler.fail_data = 1  # the batched message meets a temporary failure first
    assert desk.poll(NOW + timedelta(minutes=61)) == ["pending"]
    assert desk.poll(NOW + timedelta(minutes=61, seconds=30)) == []  # retried after 48-72 s
    assert desk.poll(NOW + timedelta(minutes=75)) == ["sent"]
    assert desk.poll(NOW + timedelta(hours=3)) == []  # nothing twice
    subjects = [str(message["Subject"]).strip() for _, message in handler.received]
    assert subjects[0] == f"[alert south] {desk.stored[0].title}"
    assert subjects[1] == "[alert south] 2 alerts, highest severity high"
    batched = handler.received[1][1].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert desk.stored[1].title in batched and desk.stored[2].title in batched
    assert "Held back by this rule's hourly limit" in batched
    assert [len(n.reports) for n in desk.storage.notices("south")] == [1, 2]
    assert {e.status for e in desk.storage.alert_events()} == {"notified"}


def test_quiet_hours_hold_mail_until_morning_but_not_a_critical_story(
    tmp_path: Path, mailbox: tuple[Mailbox, int]
) -> None:
    handler, port = mailbox
    alert = AlertConfig(
        name="night",
        query="x",
        recipients=["duty@example.org"],
        quiet_hours="22:00-06:30",
        timezone="Asia/Beirut",
    )
    desk = Desk(tmp_path / "d.sqlite3", alert, port)
    night = datetime(2026, 3, 24, 21, 0, tzinfo=UTC)  # 23:00 in Beirut
    desk.fire(0, 2, night)
    assert desk.poll(night) == []
    desk.fire(1, 4, night + timedelta(hours=2))  # critical: goes through the quiet hours
    assert desk.poll(night + timedelta(hours=2)) == ["sent"]
    assert desk.poll(datetime(2026, 3, 25, 4, 0, tzinfo=UTC)) == []  # 06:00, still quiet
    assert desk.poll(datetime(2026, 3, 25, 4, 31, tzinfo=UTC)) == ["sent"]  # morning
    titles = [str(message["Subject"]).strip() for _, message in handler.received]
    assert titles == [
        f"[alert night] {desk.stored[1].title}",
        f"[alert night] {desk.stored[0].title}",
    ]


def test_a_database_of_schema_6_keeps_its_outbox_and_webhook_sends(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    db = database_at(path, 6)
    db.executescript(
        """
        INSERT INTO digests (id, profile, day, window_start, window_end, built_at, subject,
            html, text, story_count) VALUES (1, 'p', '2026-03-24', 'a', 'b', 'c', 's', 'h', 't', 0);
        INSERT INTO deliveries (digest_id, recipient, message_id, status, created_at)
            VALUES (1, 'a@example.org', '<m1@x>', 'sent', '2026-03-24T04:30:00Z');
        INSERT INTO alert_events (id, rule, story_id, item_id, kind, severity, reasons,
            created_at) VALUES (7, 'r', 's', 'i', 'new', 3, '[]', '2026-03-24T04:30:00Z');
        INSERT INTO alert_sends (event_id, target, status, created_at)
            VALUES (7, 'https://hooks.example/x', 'pending', '2026-03-24T04:30:00Z');
        PRAGMA user_version = 6;
        """
    )
    db.close()
    storage = SqliteStorage(path)
    assert storage.schema_version == LATEST
    (delivery,) = storage.deliveries(1)
    assert (delivery.mail.kind, delivery.mail.label, delivery.status) == (
        "digest",
        "p 2026-03-24",
        "sent",
    )
    rows = sqlite3.connect(path).execute("SELECT notice_id, target FROM alert_sends").fetchall()
    assert rows == [(7, "https://hooks.example/x")]
    (event,) = storage.alert_events()
    assert (event.notice_id, event.status) == (7, "notified")  # not sent a second time
