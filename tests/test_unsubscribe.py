"""One-click unsubscribe (RFC 8058) end to end: the link each recipient's email carries, the
archive answering it (a POST unsubscribes, a GET only asks), and the outbox never writing to
that recipient on that list again."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from starlette.testclient import TestClient

from digest.config import REVIEW_LIST, SOURCE_HEALTH_LIST, SmtpConfig
from digest.outbox import deliver, enqueue
from digest.render import environment
from digest.signals.gazetteer import Gazetteer
from digest.storage.base import Delivery, Mail
from digest.storage.sqlite import SqliteStorage
from digest.unsubscribe import OneClick
from digest.web.app import create_app
from digest.web.security import Access
from digest.web.site import Site

from .conftest import Mailbox

NOW = datetime(2026, 3, 24, 4, 30, tzinfo=UTC)
BASE = "https://archive.example.org/digest/"
TWO = ["a@example.org", "b@example.org"]


def queue_day(storage: SqliteStorage, day: str, now: datetime) -> None:
    digest_id = storage.save_digest(
        "beirut-office", day, (now - timedelta(days=1), now), now, f"digest {day}", "<p>h</p>",
        "t", [],
    )  # fmt: skip
    enqueue(storage, digest_id, TWO, "digest@example.org", now)


def one_click_link(message: object) -> str:
    header = str(message["List-Unsubscribe"])  # type: ignore[index]
    (url,) = re.findall(r"<(https://[^>]+)>", header)
    return url


def test_a_recipient_unsubscribes_in_one_click_and_gets_nothing_more(
    tmp_path: Path, mailbox: tuple[Mailbox, int]
) -> None:
    handler, port = mailbox
    smtp = SmtpConfig(host="127.0.0.1", port=port, from_addr="digest@example.org")
    path = tmp_path / "d.sqlite3"
    storage = SqliteStorage(path)
    queue_day(storage, "2026-03-24", NOW)
    asyncio.run(deliver(storage, smtp, NOW, archive_url=BASE))
    messages = {rcpt[0]: message for rcpt, message in handler.received}
    assert set(messages) == set(TWO)
    link_a = one_click_link(messages["a@example.org"])
    assert (
        link_a.startswith(f"{BASE}unsubscribe?")
        and "mailto:" in messages["a@example.org"]["List-Unsubscribe"]
    )
    assert messages["a@example.org"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert link_a != one_click_link(messages["b@example.org"])  # each recipient their own
    for raw in handler.raw:  # on the wire: the URL whole on one line, never RFC 2047 words
        (header,) = [line for line in raw.split(b"\r\n") if b"unsubscribe?" in line]
        assert b"=?" not in header and b"<https://archive.example.org/digest/unsubscribe?" in header

    site = Site(path, environment(), Gazetteer.load())
    locked = Access(token="secret")  # a private archive still answers the signed link
    with TestClient(create_app(site, locked), base_url="https://archive.example.org") as client:
        local = "/" + link_a.removeprefix(BASE)  # the archive served at BASE
        asked = client.get(local)  # a link scanner's GET changes nothing
        assert asked.status_code == 200 and 'method="post"' in asked.text
        assert storage.unsubscribed() == set()
        forged = re.sub(r"sig=\w+", "sig=" + "0" * 32, local)
        assert client.post(forged, data={"List-Unsubscribe": "One-Click"}).status_code == 400
        other = local.replace("a%40example.org", "b%40example.org")
        assert client.post(other, data={"List-Unsubscribe": "One-Click"}).status_code == 400
        done = client.post(local, data={"List-Unsubscribe": "One-Click"})
        assert done.status_code == 200 and "no more" in done.text
        assert client.post(local).status_code == 200  # twice is harmless
        assert client.get("/").status_code == 401  # the rest stays private
    site.close()
    assert storage.unsubscribed() == {("digest", "beirut-office", "a@example.org")}
    query = parse_qs(urlsplit(link_a).query)
    assert query["kind"] == ["digest"] and query["list"] == ["beirut-office"]

    handler.received.clear()
    tomorrow = NOW + timedelta(days=1)
    queue_day(storage, "2026-03-25", tomorrow)
    asyncio.run(deliver(storage, smtp, tomorrow, archive_url=BASE))
    assert [rcpt for rcpt, _ in handler.received] == [["b@example.org"]]
    storage.close()


def test_without_an_archive_the_mailto_link_stands_alone(
    tmp_path: Path, mailbox: tuple[Mailbox, int]
) -> None:
    handler, port = mailbox
    storage = SqliteStorage(tmp_path / "d.sqlite3")
    queue_day(storage, "2026-03-24", NOW)
    smtp = SmtpConfig(host="127.0.0.1", port=port, from_addr="digest@example.org")
    asyncio.run(deliver(storage, smtp, NOW))
    for _, message in handler.received:
        assert message["List-Unsubscribe"].strip().startswith("<mailto:digest@example.org?subj")
        assert "https" not in message["List-Unsubscribe"]
        assert message["List-Unsubscribe-Post"] is None
    storage.close()


@pytest.mark.parametrize(
    ("kind", "name", "said"),
    [
        ("digest", "beirut-office", "Stop sending the beirut-office digest to"),
        ("alert", "south", "Stop sending the alerts of rule south to"),
        ("alert", SOURCE_HEALTH_LIST, "Stop sending the emails on sources failing or back to"),
        ("alert", REVIEW_LIST, "Stop sending the emails saying a draft is ready for review to"),
    ],
)
def test_the_page_names_what_the_link_stops_in_words(
    tmp_path: Path, kind: str, name: str, said: str
) -> None:
    """digest's own lists (the operators' source health, the reviewers' drafts) are named for
    what they send, not as a rule called "_review"."""
    path = tmp_path / "d.sqlite3"
    SqliteStorage(path).close()
    site = Site(path, environment(), Gazetteer.load())
    key = site.reader.secret("unsubscribe")
    link = OneClick("https://archive.example.org/", key).url(
        Delivery(
            0, Mail(kind, name, name, "s", "h", "t"), "a@example.org", "m", "pending", 0, None, NOW
        )
    )
    with TestClient(create_app(site, Access()), base_url="https://archive.example.org") as client:
        page = client.get(link.removeprefix("https://archive.example.org"))
    site.close()
    assert page.status_code == 200 and said in page.text
