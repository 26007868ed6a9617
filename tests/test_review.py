"""The reviewer's desk: the replay of a trail of actions (units), the storage of drafts and
actions, the desk over a real server (access, CSRF, refusal once queued), the service assembling
the draft ahead of the send time, and a reviewer in a browser whose work reaches the email."""

from __future__ import annotations

import asyncio
import base64
import logging
import re
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Page

from digest import intake, outbox, pipeline, render, review
from digest.config import DigestConfig, ProfileConfig, SignalsConfig, SmtpConfig, WebConfig
from digest.errors import ConfigError
from digest.render import environment
from digest.run.clock import Clock
from digest.run.daemon import Daemon
from digest.run.service import Service
from digest.signals.classify import Classifier
from digest.signals.gazetteer import Gazetteer
from digest.storage.base import ReviewAction
from digest.storage.sqlite import SqliteStorage
from digest.types import (
    AssessedItem,
    Assessment,
    Digest,
    Item,
    Location,
    Story,
    StoryMember,
    StoryView,
)
from digest.web import desk
from digest.web.app import access_of
from digest.web.security import Access
from digest.web.server import in_background
from digest.web.site import Site

from .conftest import Mailbox, chromium
from .test_run import still
from .test_web import NOW as ARCHIVE_NOW
from .test_web import REPORTS, store
from .test_web_browser import assert_clean, watch

NOW = ARCHIVE_NOW  # 2026-03-24 04:30 UTC, 06:30 in Beirut


# ---------------------------------------------------------------- the replay, as units


def place(governorate: str, district: str) -> Location:
    return Location(
        district, None, "LB", governorate, governorate, district, district, None, None, "admin2"
    )


def view(story_id: str, where: Location | None = None, source: str = "Wire") -> StoryView:
    item = Item(
        story_id + "-i", source, None, None, f"Story {story_id}", "", "", None, NOW, NOW, "h"
    )
    found = Assessment(item.id, "en", True, 3, ("shelling",), (where,) if where else (), ())
    story = Story(story_id, (StoryMember(item.id, "first"),), NOW, NOW, 3, ("shelling",), where)
    return StoryView(story, (AssessedItem(item, found),))


def act(story: str, action: str, value: str | None = None, note: str | None = None) -> ReviewAction:
    return ReviewAction(story, action, value, note, "rana", NOW)


def ids(views: tuple[StoryView, ...]) -> list[str]:
    return [v.story.id for v in views]


SOUTH_TYRE, SOUTH_SAIDA, NABATIEH = place("LB6", "LB63"), place("LB6", "LB62"), place("LB4", "LB41")
# grouped as the digest lists them: governorate, then district
PLACED = [
    view("a", SOUTH_TYRE),
    view("b", SOUTH_TYRE),
    view("c", SOUTH_SAIDA),
    view("d", NABATIEH),
    view("e", NABATIEH),
]
EARLY = [view("w1"), view("w2"), view("w3")]


def replayed(*actions: ReviewAction) -> review.Reviewed:
    return review.replay(EARLY, PLACED, actions)


def test_no_action_leaves_everything_as_assembled() -> None:
    reviewed = replayed()
    assert reviewed.early == tuple(EARLY) and reviewed.incidents == tuple(PLACED)
    assert reviewed.suppressed == () and reviewed.merged == ()


def test_promote_one_place_within_a_district_and_in_the_early_warnings() -> None:
    assert ids(replayed(act("b", "promote", "one")).incidents) == ["b", "a", "c", "d", "e"]
    assert ids(replayed(act("w3", "promote")).early) == ["w1", "w3", "w2"]
    assert ids(replayed(act("a", "promote")).incidents) == ["a", "b", "c", "d", "e"]  # first


def test_promote_across_districts_and_governorates_moves_the_whole_block() -> None:
    # c leads its district (Saida): the district goes above Tyre's
    assert ids(replayed(act("c", "promote")).incidents) == ["c", "a", "b", "d", "e"]
    # d leads Nabatieh: the governorate goes above the South
    assert ids(replayed(act("d", "promote")).incidents) == ["d", "e", "a", "b", "c"]


def test_promote_to_the_top_and_demote() -> None:
    top = replayed(act("e", "promote", "top"))
    assert ids(top.incidents) == ["e", "d", "a", "b", "c"]
    assert ids(replayed(act("w3", "promote", "top")).early) == ["w3", "w1", "w2"]
    assert ids(replayed(act("a", "demote")).incidents) == ["b", "a", "c", "d", "e"]
    assert ids(replayed(act("e", "demote")).incidents) == ["a", "b", "c", "d", "e"]  # last
    assert ids(replayed(act("b", "demote")).incidents) == ["c", "a", "b", "d", "e"]


def test_suppress_then_restore_and_moves_pass_over_hidden_stories() -> None:
    hidden = replayed(act("b", "suppress"))
    assert ids(hidden.incidents) == ["a", "c", "d", "e"] and ids(hidden.suppressed) == ["b"]
    back = replayed(act("b", "suppress"), act("b", "restore"))
    assert ids(back.incidents) == ["a", "b", "c", "d", "e"] and back.suppressed == ()
    # with a and b hidden, c is shown first: promoting it changes nothing a reader sees
    moved = replayed(act("a", "suppress"), act("b", "suppress"), act("c", "promote"))
    assert ids(moved.incidents) == ["c", "d", "e"]
    # a suppressed story cannot be moved
    assert ids(replayed(act("b", "suppress"), act("b", "promote", "top")).incidents)[0] == "a"


def test_merge_shows_one_story_with_both_stories_sources() -> None:
    first = StoryView(PLACED[0].story, PLACED[0].items)
    other = view("x", SOUTH_TYRE, source="Other Wire")
    reviewed = review.replay([], [first, PLACED[1], other], [act("x", "merge", "a")])
    assert ids(reviewed.incidents) == ["a", "b"]
    assert reviewed.incidents[0].sources == ("Wire", "Other Wire")
    assert [(v.story.id, into) for v, into in reviewed.merged] == [("x", "a")]
    # chains go to the story shown; a cycle is refused; restore undoes a merge
    chained = replayed(act("b", "merge", "a"), act("c", "merge", "b"))
    assert ids(chained.incidents) == ["a", "d", "e"]
    assert [e.item.id for e in chained.incidents[0].items] == ["a-i", "b-i", "c-i"]
    cycle = replayed(act("b", "merge", "a"), act("a", "merge", "b"), act("a", "merge", "a"))
    assert ids(cycle.incidents) == ["a", "c", "d", "e"]
    undone = replayed(act("b", "merge", "a"), act("b", "restore"))
    assert ids(undone.incidents) == ["a", "b", "c", "d", "e"] and undone.merged == ()
    assert ids(replayed(act("b", "merge", "nope")).incidents) == ["a", "b", "c", "d", "e"]


def test_notes_the_last_one_counts_and_an_empty_one_takes_it_back() -> None:
    noted = replayed(act("a", "annotate", note="first"), act("a", "annotate", note=" <b>2</b> "))
    assert noted.incidents[0].note == "<b>2</b>"  # kept as text: templates escape it
    assert (
        replayed(act("a", "annotate", note="x"), act("a", "annotate", note="")).incidents[0].note
        is None
    )


def test_actions_on_stories_no_longer_in_the_digest_are_passed_over() -> None:
    assert ids(replayed(act("gone", "promote", "top"), act("gone", "suppress")).incidents) == [
        "a",
        "b",
        "c",
        "d",
        "e",
    ]


# ---------------------------------------------------------------- storage


def test_drafts_and_the_trail_round_trip_and_a_closed_review_refuses_actions(
    tmp_path: Path,
) -> None:
    storage = SqliteStorage(tmp_path / "d.sqlite3")
    assert not storage.add_review_action("beirut", "2026-03-24", act("a", "suppress"))  # no draft
    storage.save_draft("beirut", "2026-03-24", NOW, ["w"], ["a", "b"], NOW - timedelta(hours=1))
    assert storage.add_review_action("beirut", "2026-03-24", act("a", "annotate", note="مهم"))
    assert storage.add_review_action("beirut", "2026-03-24", act("b", "merge", "a"))
    (draft,) = storage.open_reviews()
    assert (draft.early, draft.incidents, draft.due_at, draft.closed_at) == (
        ("w",),
        ("a", "b"),
        NOW,
        None,
    )
    trail = storage.review_actions("beirut", "2026-03-24")
    assert [(a.story_id, a.action, a.value, a.note, a.actor) for a in trail] == [
        ("a", "annotate", None, "مهم", "rana"),
        ("b", "merge", "a", None, "rana"),
    ]
    assert trail[0].id < trail[1].id and trail[0].at == NOW
    storage.close_review("beirut", "2026-03-24", NOW, NOW + timedelta(minutes=1))
    storage.close_review("beirut", "2026-03-24", NOW, NOW + timedelta(minutes=5))  # kept
    storage.save_draft("beirut", "2026-03-24", NOW, [], ["a"], NOW)  # rebuilt: stays as closed
    closed = storage.review_draft("beirut", "2026-03-24")
    assert closed is not None and closed.closed_at == NOW + timedelta(minutes=1)
    assert closed.incidents == ("a", "b") and storage.open_reviews() == []
    assert not storage.add_review_action("beirut", "2026-03-24", act("a", "suppress"))
    assert len(storage.review_actions("beirut", "2026-03-24")) == 2
    assert storage.secret("review") != storage.secret("unsubscribe")
    storage.close()


# ---------------------------------------------------------------- a reviewed digest's database

PROFILE = "south"
DAY = "2026-03-24"
SEND = NOW  # 06:30 in Beirut, the profile's send time
REVIEWERS = {"rana": "desk pass", "omar": "other pass"}


def profile_config(**changes: object) -> ProfileConfig:
    values: dict[str, object] = {
        "name": PROFILE,
        "min_severity": 1,
        "review": True,
        "recipients": ["security@example.org"],
    }
    return ProfileConfig.model_validate(values | changes)


@dataclass
class Reviewable:
    path: Path
    profile: ProfileConfig
    parents: dict[str, str]


@pytest.fixture
def reviewable(tmp_path: Path) -> Reviewable:
    """The archive test's reports stored, assessed and clustered; the digest of the `south`
    profile (reviewed) assembled as a draft 50 minutes before its send time."""
    path = tmp_path / "digest.sqlite3"
    storage = SqliteStorage(path)
    store(storage, REPORTS)
    gazetteer = Gazetteer.load()
    intake.assess_pending(storage, lambda: Classifier.from_signals(SignalsConfig(), gazetteer), NOW)
    intake.cluster_pending(storage, NOW)
    parents = pipeline.region_parents(gazetteer)
    profile = profile_config()
    draft_time = SEND - timedelta(minutes=50)
    assert pipeline.draft_day(profile, draft_time) == SEND.date()
    pipeline.build_digest(storage, profile, SEND.date(), environment(), parents, draft_time)
    storage.close()
    return Reviewable(path, profile, parents)


def queue(ready: Reviewable, at: datetime = SEND) -> None:
    storage = SqliteStorage(ready.path)
    try:
        config = DigestConfig(smtp=SmtpConfig(from_addr="d@example.org"))
        pipeline.queue_digest(
            storage, config, ready.profile, SEND.date(), environment(), ready.parents, at
        )
    finally:
        storage.close()


def site_of(path: Path) -> Site:
    return Site(path, environment(), Gazetteer.load(), "Asia/Beirut")


@contextmanager
def served(path: Path, reviewers: dict[str, str] | None = REVIEWERS) -> Iterator[httpx.Client]:
    access = Access(reviewers=reviewers)
    with (
        in_background(site_of(path), access) as origin,
        httpx.Client(base_url=origin, follow_redirects=False, timeout=10) as client,
    ):
        yield client


DESK = f"/review/{PROFILE}/{DAY}"


def form_token(html: str) -> str:
    found = re.search(r'name="token" value="([0-9a-f]{32})"', html)
    assert found, "the desk has no form"
    return found.group(1)


def story_ids(html: str) -> list[str]:
    """The stories of the desk, in the order shown."""
    return list(dict.fromkeys(re.findall(r'id="story-([0-9a-f]+)"', html)))


# ---------------------------------------------------------------- the desk over a real server


def test_the_desk_needs_a_reviewer(reviewable: Reviewable) -> None:
    with served(reviewable.path) as client:
        refused = client.get(DESK)
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"].startswith("Basic")
        assert client.get(DESK, auth=("rana", "wrong")).status_code == 401
        assert client.post(DESK, data={"story": "x"}).status_code == 401
        page = client.get(DESK, auth=("rana", "desk pass"))
        assert page.status_code == 200 and "no-store" in page.headers["cache-control"]
        assert "Reviewing as" in page.text and "<script" not in page.text
        assert len(story_ids(page.text)) >= 3
        assert (
            client.get(f"/review/{PROFILE}/2026-01-01", auth=("rana", "desk pass")).status_code
            == 404
        )
        index = client.get("/")  # the archive stays open to readers
        assert index.status_code == 200 and f'href="{DESK}"' in index.text
        # the draft is not published before it goes
        assert f'href="/digests/{PROFILE}/{DAY}"' not in index.text
        assert f"/digests/{PROFILE}/{DAY}" not in client.get("/digests.atom").text
        assert client.get("/api/digests").json()["digests"] == []
        assert client.get(f"/digests/{PROFILE}/{DAY}/email").status_code == 404
    with served(reviewable.path, reviewers=None) as client:
        assert client.get(DESK, auth=("rana", "desk pass")).status_code == 403
        assert client.post(DESK, auth=("rana", "desk pass")).status_code == 403


def test_actions_go_through_the_desk_with_its_token_only(reviewable: Reviewable) -> None:
    rana, omar = ("rana", "desk pass"), ("omar", "other pass")
    with served(reviewable.path) as client:
        page = client.get(DESK, auth=rana).text
        token, shown = form_token(page), story_ids(page)
        last = shown[-1]
        forged = {"token": "0" * 32, "story": last, "action": "promote", "value": "top"}
        assert client.post(DESK, auth=rana, data=forged).status_code == 403
        stolen = {"token": token, "story": last, "action": "promote", "value": "top"}
        assert client.post(DESK, auth=omar, data=stolen).status_code == 403  # rana's token
        odd = client.post(DESK, auth=rana, data={"token": token, "story": last, "action": "drop"})
        assert odd.status_code == 400 and "action" in odd.text
        done = client.post(DESK, auth=rana, data=stolen)
        assert done.status_code == 303 and done.headers["location"] == f"{DESK}#story-{last}"
        after = client.get(DESK, auth=rana).text
        assert story_ids(after)[0] == last
        note = {"token": token, "story": shown[0], "action": "annotate", "note": "<i>check</i>"}
        assert client.post(DESK, auth=rana, data=note).status_code == 303
        archive = client.get(f"/digests/{PROFILE}/{DAY}").text
        assert "&lt;i&gt;check&lt;/i&gt;" in archive and "<i>check</i>" not in archive
        assert "promoted to the top" in archive and ">rana<" in archive
    storage = SqliteStorage(reviewable.path)
    assert [(a.action, a.actor) for a in storage.review_actions(PROFILE, DAY)] == [
        ("promote", "rana"),
        ("annotate", "rana"),
    ]
    storage.close()


def test_no_change_is_taken_once_the_digest_is_queued(reviewable: Reviewable) -> None:
    queue(reviewable)
    with served(reviewable.path) as client:
        page = client.get(DESK, auth=("rana", "desk pass"))
        assert "Sent at 06:30; no more changes." in page.text
        assert 'name="token"' not in page.text  # no form left
        storage = SqliteStorage(reviewable.path)
        token = desk.token(storage.secret(desk.KEY), "rana", PROFILE, DAY)
        story = storage.review_draft(PROFILE, DAY).incidents[0]  # type: ignore[union-attr]
        storage.close()
        late = client.post(
            DESK,
            auth=("rana", "desk pass"),
            data={"token": token, "story": story, "action": "suppress"},
        )
        assert late.status_code == 409 and "sent at 06:30; no more changes" in late.text
        index = client.get("/").text
        assert f'href="{DESK}"' not in index  # no longer waiting, and published
        assert f'href="/digests/{PROFILE}/{DAY}"' in index
    storage = SqliteStorage(reviewable.path)
    assert storage.review_actions(PROFILE, DAY) == []
    storage.close()


# ---------------------------------------------------------------- the service


def test_the_service_assembles_the_draft_ahead_and_sends_on_time_unchanged(
    reviewable: Reviewable, mailbox: tuple[Mailbox, int], caplog: pytest.LogCaptureFixture
) -> None:
    handler, port = mailbox
    caplog.set_level(logging.INFO)
    database = reviewable.path.with_name("service.sqlite3")
    shutil.copy(reviewable.path, database)
    storage = SqliteStorage(database)
    storage._query("DELETE FROM review_drafts")  # as if nothing had been assembled yet
    yesterday = SEND - timedelta(days=1)  # and the digest of the day before went out
    sent = storage.save_digest(
        PROFILE, "2026-03-23", (yesterday, yesterday), yesterday, "", "", "", []
    )
    outbox.enqueue(storage, sent, ["security@example.org"], "d@example.org", yesterday)
    storage.record_attempt(storage.deliveries(sent)[0].id, "sent", "250 ok", yesterday)
    config = DigestConfig.model_validate(
        {
            "storage": {"database": str(database)},
            "smtp": {"host": "127.0.0.1", "port": port},
            "web": {
                "base_url": "https://intranet.example.org/digest/",
                "reviewers": [
                    {"username": "rana", "password_env": "R", "email": "rana@example.org"},
                    {"username": "omar", "password_env": "O"},  # no address: not told
                ],
            },
            "profiles": [reviewable.profile.model_dump()],
        }
    )
    jobs = Service(config, storage, still(SEND - timedelta(minutes=61)), logging.getLogger("t"))
    asyncio.run(jobs.send())
    assert storage.review_draft(PROFILE, DAY) is None  # not yet
    jobs.clock = still(SEND - timedelta(minutes=60))
    asyncio.run(jobs.send())
    draft = storage.review_draft(PROFILE, DAY)
    assert draft is not None and draft.closed_at is None
    desk = f"https://intranet.example.org/digest/review/{PROFILE}/{DAY}"
    ready = [r.getMessage() for r in caplog.records if getattr(r, "event", "") == "draft-ready"]
    assert ready == [f"{PROFILE} {DAY}: draft ready for review at {desk}"]
    # the reviewer with an address is told, once, in the profile's language and zone
    ((rcpt_tos, told),) = handler.received
    assert rcpt_tos == ["rana@example.org"]
    due = SEND.astimezone(ZoneInfo(reviewable.profile.timezone)).strftime("%H:%M")
    assert told["Subject"] == f"[review] {PROFILE}, digest of {DAY}: ready for review until {due}"
    body = told.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert desk in body and f"Incidents: {len(draft.incidents)}" in body
    jobs.clock = still(SEND - timedelta(minutes=30))
    asyncio.run(jobs.send())
    assert len(handler.received) == 1  # not told again
    handler.received.clear()
    jobs.clock = still(SEND + timedelta(minutes=1))
    asyncio.run(jobs.send())
    ((_, message),) = handler.received
    sent = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    # exactly what the profile would have sent without review
    plain = reviewable.profile.model_copy(update={"review": False})
    _, unreviewed = pipeline.build_digest(
        storage,
        plain,
        SEND.date(),
        environment(),
        reviewable.parents,
        SEND + timedelta(minutes=1),
        config=config,
    )
    assert sent.replace("\r\n", "\n") == unreviewed.text and "Reviewer's note" not in sent
    assert storage.review_draft(PROFILE, DAY).closed_at == SEND + timedelta(minutes=1)  # type: ignore[union-attr]
    storage.close()


def test_the_draft_is_scheduled_ahead_of_the_send_time(tmp_path: Path) -> None:
    config = DigestConfig.model_validate(
        {
            "storage": {"database": str(tmp_path / "d.sqlite3")},
            "profiles": [
                {"name": "early", "send_at": "00:30", "review": True, "review_ahead_minutes": 45},
                {"name": "plain", "send_at": "06:30"},
            ],
        }
    )
    daemon = Daemon(tmp_path / "digest.toml", config, Clock(), logging.getLogger("test"))
    daemon.schedule()
    trigger = daemon.scheduler.get_job("draft:early").trigger
    moment = datetime(2026, 3, 24, 12, tzinfo=UTC)
    assert trigger.get_next_fire_time(None, moment).isoformat() == "2026-03-24T23:45:00+02:00"
    assert daemon.scheduler.get_job("draft:plain") is None
    daemon.storage.close()
    assert pipeline.draft_day(config.profiles[1], moment) is None


# ---------------------------------------------------------------- a reviewer in a browser

NOTE = "Road to Tyre closed <b>by the army</b>: avoid"


def titles(path: Path, ids: list[str]) -> dict[str, str]:
    storage = SqliteStorage(path)
    try:
        return {s.id: StoryView(s, tuple(i), "en").lead.item.title for s, i in storage.stories(ids)}
    finally:
        storage.close()


def send(ready: Reviewable, port: int) -> None:
    """Queue the digest at its send time and deliver it, as `digest send` would."""
    queue(ready)
    storage = SqliteStorage(ready.path)
    try:
        smtp = SmtpConfig(host="127.0.0.1", port=port, from_addr="digest@example.org")
        (outcome,) = asyncio.run(outbox.deliver(storage, smtp, SEND))
        assert outcome.status == "sent", outcome.reply
    finally:
        storage.close()


def act_in(page: Page, story: str, button: str) -> None:
    with page.expect_navigation():
        page.locator(f"#story-{story} button", has_text=button).click()


def test_a_reviewer_in_a_browser_promotes_suppresses_and_annotates_and_the_email_says_so(
    reviewable: Reviewable, mailbox: tuple[Mailbox, int]
) -> None:
    handler, port = mailbox
    site = site_of(reviewable.path)
    with (
        in_background(site, Access(reviewers=REVIEWERS)) as origin,
        chromium() as browser,
        ThreadPoolExecutor(1) as elsewhere,  # the sending runs its own event loop
    ):
        context = browser.new_context(
            http_credentials={"username": "rana", "password": "desk pass"}
        )
        page = context.new_page()
        page.set_default_timeout(10_000)
        seen = watch(page)
        page.goto(origin + DESK)
        assert_clean(page, seen, origin)
        before = page.locator("td.desk").evaluate_all("cells => cells.map(c => c.id.slice(6))")
        assert len(before) >= 4
        top, hidden, noted = before[-1], before[1], before[-1]
        act_in(page, top, "To the top")
        act_in(page, hidden, "Suppress")
        page.locator(f"#story-{noted} textarea").fill(NOTE)
        act_in(page, noted, "Save note")
        assert_clean(page, seen, origin)
        after = page.locator("td.desk").evaluate_all("cells => cells.map(c => c.id.slice(6))")
        assert after[0] == top and hidden not in after
        assert page.locator(".left-out .suppressed").count() == 1
        assert page.locator(".note").first.inner_text().endswith(NOTE)  # as text, not markup

        elsewhere.submit(send, reviewable, port).result()
        ((_, message),) = handler.received
        text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
        headline = titles(reviewable.path, before)
        shown = [headline[s] for s in before if s != hidden]
        assert headline[hidden] not in text and headline[hidden] not in html
        assert min(text.index(h) for h in shown) == text.index(headline[top])
        assert f"Reviewer's note: {NOTE}" in text
        assert "Road to Tyre closed &lt;b&gt;by the army&lt;/b&gt;: avoid" in html

        archive = context.new_page()
        seen = watch(archive)
        archive.goto(f"{origin}/digests/{PROFILE}/{DAY}")
        assert_clean(archive, seen, origin)
        rows = [" ".join(r.split()) for r in archive.locator(".trail-row").all_inner_texts()]
        assert len(rows) == 3 and all("rana" in row for row in rows)
        assert "promoted to the top" in rows[0] and headline[top] in rows[0]
        assert "suppressed" in rows[1] and headline[hidden] in rows[1]
        assert "annotated" in rows[2] and NOTE in rows[2]
        assert archive.locator(".headline").first.inner_text().strip() == headline[top]
        assert headline[hidden] not in archive.locator("section.region").all_inner_texts()[0]
        page.reload()
        assert "Sent at 06:30; no more changes." in page.inner_text("main")
        assert page.locator("form").count() == 0
        context.close()


def test_reviewers_and_review_settings_are_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="review_ahead_minutes"):
        profile_config(review_ahead_minutes=4)
    reviewer = {"username": "rana", "password_env": "DIGEST_TEST_RANA"}
    with pytest.raises(ValueError, match="given twice"):
        WebConfig.model_validate({"reviewers": [reviewer, reviewer]})
    config = DigestConfig.model_validate({"web": {"reviewers": [reviewer]}})
    monkeypatch.delenv("DIGEST_TEST_RANA", raising=False)
    with pytest.raises(ConfigError) as refused:
        access_of(config)
    assert refused.value.problems == ["web.reviewers[0].password_env: $DIGEST_TEST_RANA is not set"]
    monkeypatch.setenv("DIGEST_TEST_RANA", "pw")
    access = access_of(config)
    assert (
        access.open and access.reviewer("Basic " + base64.b64encode(b"rana:pw").decode()) == "rana"
    )


def test_stories_taken_out_by_the_reviewers_are_not_counted_in_what_changed(
    reviewable: Reviewable,
) -> None:
    storage = SqliteStorage(reviewable.path)
    draft = storage.review_draft(PROFILE, DAY)
    assert draft is not None and draft.incidents

    def built() -> Digest:
        digest, _ = pipeline.build_digest(
            storage, reviewable.profile, SEND.date(), environment(), reviewable.parents, SEND
        )
        return digest

    def counted(digest: Digest) -> int:
        return sum(district.today for district in digest.trends.districts)

    before = counted(built())
    assert before == len(draft.incidents)  # each story shown is one new incident
    for story in draft.incidents:
        storage.add_review_action(
            PROFILE, DAY, ReviewAction(story, "suppress", None, None, "rana", NOW)
        )
    after = built()
    assert counted(after) == 0 and after.story_count == 0
    assert "Quiet day" in render.summary_line(after)
    storage.close()


def test_a_review_no_send_will_close_is_closed_and_its_digest_published(
    reviewable: Reviewable,
) -> None:
    storage = SqliteStorage(reviewable.path)
    config = DigestConfig(profiles=[reviewable.profile.model_copy(update={"review": False})])
    jobs = Service(config, storage, still(SEND - timedelta(minutes=30)), logging.getLogger("t"))
    assert [d.profile for d in storage.digests()] == []  # hidden while under review
    asyncio.run(jobs.send())  # the profile is no longer reviewed: its draft goes nowhere
    assert storage.open_reviews() == [] and [d.day for d in storage.digests()] == [DAY]
    storage.close()


def test_reviewers_are_told_once_of_a_draft_assembled_elsewhere(
    reviewable: Reviewable, mailbox: tuple[Mailbox, int]
) -> None:
    """A draft the service did not assemble (`digest build` made it, or the service stopped
    between assembling it and queueing the email) is still told to the reviewers, once."""
    handler, port = mailbox
    storage = SqliteStorage(reviewable.path)
    assert storage.review_draft(PROFILE, DAY) is not None  # assembled by the fixture
    config = DigestConfig.model_validate(
        {
            "storage": {"database": str(reviewable.path)},
            "smtp": {"host": "127.0.0.1", "port": port},
            "web": {
                "reviewers": [
                    {"username": "rana", "password_env": "R", "email": "rana@example.org"}
                ]
            },
            "profiles": [reviewable.profile.model_dump()],
        }
    )
    jobs = Service(config, storage, still(SEND - timedelta(minutes=40)), logging.getLogger("t"))
    asyncio.run(jobs.send())
    jobs.clock = still(SEND - timedelta(minutes=20))
    asyncio.run(jobs.send())
    ((rcpt_tos, told),) = handler.received
    assert rcpt_tos == ["rana@example.org"] and "ready for review" in told["Subject"]
    assert f"/review/{PROFILE}/{DAY}" in told.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert storage.review_draft(PROFILE, DAY).reviewers_told  # type: ignore[union-attr]
    storage.close()
