"""Source health: the digest's footer of sources failing or silent, and the operators' email."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, date, datetime, timedelta
from ipaddress import ip_network
from pathlib import Path
from typing import Any

import pytest

from digest import pipeline, render, source_health
from digest.config import DigestConfig, ProfileConfig, SourceConfig
from digest.signals.classify import Classifier
from digest.signals.gazetteer import Gazetteer
from digest.sources.http import make_client
from digest.storage.base import SourceRecord
from digest.storage.sqlite import SqliteStorage
from digest.types import Digest, Lapse
from tests.conftest import Mailbox, ScriptedServer, reply
from tests.test_render import check_golden

NOW = datetime(2026, 3, 24, 4, 0, tzinfo=UTC)  # 06:00 in Beirut


def record(name: str, **fields: Any) -> SourceRecord:
    values: dict[str, Any] = {
        "id": 1,
        "name": name,
        "url": f"https://{name.lower()}.example/rss",
        "kind": "feed",
        "language": None,
        "interval_s": None,
        "origin": "config",
        "enabled": True,
        "etag": None,
        "last_modified": None,
        "last_fetch_at": NOW,
        "last_success_at": NOW,
        "last_error": None,
        "last_error_at": None,
        "consecutive_failures": 0,
        "next_check_at": None,
        "last_latency_ms": 10,
        "items": 5,
        "added_at": NOW - timedelta(days=30),
        "failing_since": None,
        "last_new_at": NOW - timedelta(hours=1),
    }
    return SourceRecord(**(values | fields))


def config_of(**health: Any) -> DigestConfig:
    return DigestConfig.model_validate(
        {
            "sources": [
                {"name": n, "url": f"https://{n.lower()}.example/rss"}
                for n in ("NNA", "Wire", "Weekly", "Gone", "New")
            ]
            + [{"name": "Bulletin", "url": "https://b.example/rss", "silent_after_hours": 24 * 8}],
            "source_health": health,
        }
    )


def test_the_footer_lists_gone_then_failing_then_silent_sources_past_their_thresholds() -> None:
    config = config_of(failing_after_minutes=120, silent_after_hours=24)
    failing = {"consecutive_failures": 4, "last_error": "HTTP 500"}
    records = [
        record("NNA", **failing, failing_since=NOW - timedelta(hours=3)),
        record("Wire", **failing, failing_since=NOW - timedelta(minutes=30)),  # not yet
        record("Weekly", last_new_at=NOW - timedelta(hours=30)),
        record("Bulletin", last_new_at=NOW - timedelta(days=6)),  # its own 8 days
        record("Gone", enabled=False, last_error="HTTP 410 Gone", gone_at=NOW),
        record("New", added_at=NOW - timedelta(days=2), last_new_at=None),
        record("OPML feed", enabled=False),  # switched off on purpose: not listed
    ]
    found = source_health.lapses(records, config, NOW)
    assert [(lapse.source, lapse.state) for lapse in found] == [
        ("Gone", "gone"),
        ("NNA", "failing"),
        ("New", "silent"),
        ("Weekly", "silent"),
    ]
    assert found[1] == Lapse("NNA", "failing", NOW - timedelta(hours=3), 4, "HTTP 500")
    assert found[2].since is None  # it never brought a report


def test_a_source_failing_briefly_is_listed_as_silent_once_it_has_been_quiet_long_enough() -> None:
    config = config_of(failing_after_minutes=120, silent_after_hours=6)
    failing = record(
        "Wire",
        consecutive_failures=1,
        failing_since=NOW - timedelta(minutes=10),
        last_new_at=NOW - timedelta(hours=7),
    )
    assert [lapse.state for lapse in source_health.lapses([failing], config, NOW)] == ["silent"]


FOOTER = (
    Lapse("Gone", "gone", NOW, 0, "HTTP 410 Gone: the publisher removed this feed"),
    Lapse("NNA", "failing", NOW - timedelta(hours=5), 7, "HTTP 500"),
    Lapse("New", "silent", None),
    Lapse("Weekly", "silent", datetime(2026, 3, 23, 3, 10, tzinfo=UTC)),
)


@pytest.mark.parametrize("language", ["en", "fr", "ar"])
def test_the_health_footer_matches_its_golden_files(language: str) -> None:
    digest = Digest(
        profile="office",
        timezone="Asia/Beirut",
        window_start=NOW - timedelta(days=1),
        window_end=NOW,
        early_warning=(),
        governorates=(),
        items_considered=12,
        language=language,
        lapses=FOOTER,
    )
    rendered = render.render(digest, render.environment())
    text = rendered.text[rendered.text.index("\n\n", rendered.text.index("\n\n") + 2) :]
    check_golden(f"health-footer-{language}.txt", text.split("\n--\n")[0].strip() + "\n")
    block = re.search(r'<td class="lapses.*?</td>', rendered.html, re.S)
    assert block is not None
    check_golden(f"health-footer-{language}.html", block.group(0) + "\n")


def test_a_digest_without_lapses_has_no_footer_of_sources() -> None:
    digest = Digest("office", "Asia/Beirut", NOW - timedelta(days=1), NOW, (), (), 12)
    rendered = render.render(digest, render.environment())
    assert "SOURCES TO CHECK" not in rendered.text and 'class="lapses' not in rendered.html


RSS = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><guid>a1</guid>'
    b"<title>Municipal council meets in Jounieh</title><pubDate>Tue, 24 Mar 2026 03:00:00 GMT"
    b"</pubDate></item></channel></rss>"
)


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return Classifier.from_signals()


def test_operators_hear_once_when_a_source_reaches_its_streak_again_when_it_recovers(
    tmp_path: Path, server: ScriptedServer, mailbox: tuple[Mailbox, int], classifier: Classifier
) -> None:
    handler, port = mailbox
    server.routes["/nna.xml"] = reply(500)
    server.routes["/wire.xml"] = reply(200, RSS)
    config = DigestConfig.model_validate(
        {
            "storage": {"database": str(tmp_path / "d.sqlite3")},
            "fetch": {"retries": 0},
            "smtp": {"host": "127.0.0.1", "port": port, "from_addr": "digest@example.org"},
            "sources": [
                {"name": "NNA", "url": server.url("/nna.xml")},
                {"name": "Wire", "url": server.url("/wire.xml")},
            ],
            "source_health": {
                "alert_after_failures": 3,
                "failing_after_minutes": 60,
                "operators": ["ops@example.org"],
            },
        }
    )
    storage = SqliteStorage(config.storage.database)

    def poll(now: datetime, every: bool = True) -> list[str]:
        async def run() -> pipeline.PollReport:
            async with make_client(config.fetch, [ip_network("127.0.0.0/8")]) as client:
                return await pipeline.poll(storage, config, lambda: classifier, client, now, every)

        report = asyncio.run(run())
        return [f"{o.name} {o.status}" for o in report.outcomes]

    def subjects() -> list[str]:
        return [str(message["Subject"]) for _, message in handler.received]

    for attempt in range(4):
        assert poll(NOW + timedelta(minutes=30 * attempt)) == ["NNA failed", "Wire updated"]
        expected = ["[source health] NNA failed 3 times in a row: HTTP 500"] if attempt >= 2 else []
        assert subjects() == expected
    assert handler.received[0][0] == ["ops@example.org"]
    body = handler.received[0][1].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "since 24 Mar 06:00" in body and server.url("/nna.xml") in body
    assert "alerts _source-health" in str(handler.received[0][1]["List-Id"])

    # every digest built meanwhile says which source it may be missing
    profile = ProfileConfig(name="office", min_severity=1)
    parents = pipeline.region_parents(Gazetteer.load())
    built = NOW + timedelta(minutes=100)
    digest, rendered = pipeline.build_digest(
        storage, profile, date(2026, 3, 24), render.environment(), parents, built, config=config
    )
    assert [(lapse.source, lapse.state, lapse.failures) for lapse in digest.lapses] == [
        ("NNA", "failing", 4)
    ]
    assert "NNA: failing since 24 Mar 06:00 (HTTP 500; 4 attempts)" in rendered.text

    server.routes["/nna.xml"] = reply(200, RSS.replace(b"a1", b"n1"))
    assert poll(NOW + timedelta(hours=2)) == ["NNA updated", "Wire updated"]
    assert subjects()[1:] == ["[source health] NNA works again"]
    assert storage.source("NNA").failing_since is None
    assert storage.source("NNA").last_new_at == NOW + timedelta(hours=2)

    server.routes["/nna.xml"] = reply(410)
    for hours in (3, 4, 5):  # polled again and again: told once, and it stays off
        assert poll(NOW + timedelta(hours=hours), every=False)[:1] == (
            ["NNA disabled"] if hours == 3 else ["Wire updated"]
        )
    assert subjects()[2:] == [
        "[source health] NNA is gone and no longer read: HTTP 410 Gone: the publisher removed "
        "this feed"
    ]
    assert not storage.source("NNA").enabled
    assert len(subjects()) == 3
    # a new URL in the configuration reads it again
    moved = config.model_copy(
        update={
            "sources": [SourceConfig(name="NNA", url=server.url("/nna2.xml")), config.sources[1]]
        }
    )
    pipeline.sync_config_sources(storage, moved)
    renewed = storage.source("NNA")
    assert renewed.enabled and renewed.gone_at is None
    assert renewed.consecutive_failures == 0 and renewed.failing_since is None  # starts afresh
    storage.close()
