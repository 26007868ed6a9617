"""The alert rule language: parsing with clear errors, printing back, matching with the signal
engine's folding, `digest check` and `digest alerts test`."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digest.alerts.match import matches
from digest.alerts.rules import (
    FIELDS,
    And,
    Field,
    Measure,
    Near,
    Not,
    Or,
    Phrase,
    Rule,
    RuleError,
    Word,
    parse,
)
from digest.signals.categories import LABELS
from digest.signals.classify import Classifier, Text
from digest.types import AssessedItem, Item

from .conftest import FeedServer, Mailbox
from .test_cli import config_for, digest


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return Classifier.from_signals()


def item(classifier: Classifier, title: str, text: str = "", source: str = "NNA") -> AssessedItem:
    now = datetime(2026, 3, 23, 9, 0, tzinfo=UTC)
    entry = Item("x", source, None, None, title, text, "", None, now, now, "h")
    return AssessedItem(entry, classifier.classify(Text("x", title, text)).assessment)


@pytest.mark.parametrize(
    ("query", "canonical"),
    [
        (
            "(category:airstrike OR category:shelling) AND region:LB6",
            "(category:airstrike OR category:shelling) AND region:LB6",
        ),
        ("evacuat* صور", "evacuat* AND صور"),
        (
            'place:"Bint Jbeil" NOT lang:ar severity>=3',
            'place:"Bint Jbeil" AND NOT lang:ar AND severity>=3',
        ),
        ("drone NEAR/5 strike", "drone NEAR/5 strike"),
        ('"frappe de drone" OR غارة', '"frappe de drone" OR غارة'),
        ("a OR b c", "a OR b AND c"),
        ("NOT (a OR b)", "NOT (a OR b)"),
        ("source:NNA and", "source:NNA AND and"),
        ("category:airstrike sources>=2 tier<=2", "category:airstrike AND sources>=2 AND tier<=2"),
    ],
)
def test_rules_parse_and_print_back(query: str, canonical: str) -> None:
    rule = parse(query)
    assert str(rule) == canonical
    assert parse(canonical) == rule


@pytest.mark.parametrize(
    ("query", "position", "expected"),
    [
        ("(a", 3, "')'"),
        ("a AND", 6, "a word, a phrase, a field or '('"),
        ("category:bogus", 1, "a category code"),
        ("severity>=9", 1, "a severity from 0 to 4"),
        ("tier<=5", 1, "a tier from 1 to 4"),
        ("sources>=0", 1, "a sources from 1 to 99"),
        ("tier=>2", 1, "tier>=N with N from 1 to 4"),
        ("x NEAR/0 y", 3, "a distance from 1 to 50"),
        ('"unclosed', 1, 'a closing "'),
        ("colour:red", 1, "a field name"),
        ("region:lb6", 1, "a P-code"),
        ("a) b", 2, "AND, OR or the end of the rule"),
        ("(a OR) b", 6, "a word, a phrase, a field or '('"),
        ("place:", 7, "a value after place:"),
        ("a NEAR/3 category:uxo", 3, "a word or phrase on each side of NEAR"),
        ("", 1, "a word, a phrase or a field"),
    ],
)
def test_a_bad_rule_says_where_and_what_was_expected(
    query: str, position: int, expected: str
) -> None:
    with pytest.raises(RuleError) as caught:
        parse(query)
    assert caught.value.position + 1 == position
    assert expected in str(caught.value)
    assert str(caught.value).startswith(f"at character {position}: expected")


letters = st.sampled_from("abcdefghijklmnopqrstuvwxyzéàçغارةصورعيترون")
words = st.text(letters, min_size=1, max_size=8).filter(lambda w: w not in ("AND", "OR", "NOT"))
phrases = st.text(st.one_of(letters, st.just(" ")), min_size=1, max_size=12).filter(str.strip)
field_values = {
    "category": st.sampled_from(sorted(LABELS)),
    "region": st.sampled_from(["LB", "LB6", "LB41", "SY", "IL"]),
    "evacuation": st.sampled_from(["LB", "LB4", "LB44"]),
    "lang": st.sampled_from(["ar", "en", "fr"]),
    "place": phrases,
    "source": phrases,
}
terms = st.one_of(st.builds(Word, words, st.booleans()), st.builds(Phrase, phrases))
leaves = st.one_of(
    terms,
    st.one_of(*(st.builds(Field, st.just(name), field_values[name]) for name in FIELDS)),
    st.builds(
        Measure,
        st.sampled_from(["severity", "tier"]),
        st.sampled_from([">=", "<=", ">", "<", "="]),
        st.integers(1, 4),
    ),
    st.builds(Near, terms, terms, st.integers(1, 50)),
)


def flat(rule: Rule) -> Rule:
    """And inside And (Or inside Or) prints as one: the form a parse gives back."""
    if isinstance(rule, And | Or):
        kind = type(rule)
        parts: list[Rule] = []
        for part in map(flat, rule.rules):
            parts += part.rules if isinstance(part, kind) else [part]
        return kind(tuple(parts))
    if isinstance(rule, Not):
        return Not(flat(rule.rule))
    return rule


rules = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.builds(Not, inner),
        st.builds(And, st.lists(inner, min_size=2, max_size=3).map(tuple)),
        st.builds(Or, st.lists(inner, min_size=2, max_size=3).map(tuple)),
    ),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None)
@given(rules)
def test_printing_a_rule_and_parsing_it_gives_the_same_rule(rule: Rule) -> None:
    rule = flat(rule)
    assert parse(str(rule)) == rule


FRAGMENTS = [
    '"',
    "(",
    ")",
    "*",
    ":",
    "NEAR/",
    "NEAR/3",
    " AND ",
    " OR ",
    "NOT ",
    "severity>=",
    "category:",
    "region:LB",
    "place:",
    "\\",
    " ",
]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.one_of(st.characters(), st.sampled_from(FRAGMENTS)), max_size=20).map("".join))
def test_garbage_is_a_clear_rule_error_or_a_rule_that_prints_back(text: str) -> None:
    try:
        rule = parse(text)
    except RuleError as error:
        assert str(error).startswith("at character ")
        assert 0 <= error.position <= len(text)
    else:
        assert parse(str(rule)) == rule


def test_matching_folds_accents_letters_and_clitics_like_the_signal_engine(
    classifier: Classifier,
) -> None:
    french = item(classifier, "Évacuation ordonnée à Tyr", "L'armée appelle à évacuer.")
    arabic = item(classifier, "غارة على سيارة في عيترون وصور", "")
    english = item(classifier, "Drone strike hits a car near Aitaroun", "", source="Cedar Wire")
    assert matches(parse("evacuation"), french) == ["evacuation in “Évacuation”"]
    assert matches(parse("evacu*"), french) is not None
    assert matches(parse("صور"), arabic) == ["صور in “وصور”"]
    assert matches(parse("سيارات"), arabic) is None  # whole words only
    assert matches(parse('"drone strike"'), english) == ['"drone strike" in “Drone strike”']
    assert matches(parse("drone NEAR/4 car"), english) is not None  # drone strike hits a car
    assert matches(parse("drone NEAR/3 car"), english) is None
    assert matches(parse("car NEAR/4 drone"), english) is not None  # either order
    assert matches(parse("place:Aitaroun category:airstrike"), english) == [
        "place Aitaroun",
        "category airstrike",
    ]
    assert matches(parse('source:"cedar wire" region:LB4'), english) is not None
    assert matches(parse("region:LB41"), english) is not None  # the district, inside LB4
    assert matches(parse("region:LB6"), english) is None
    assert matches(parse("lang:ar OR severity>=4"), english) is None
    assert matches(parse("strike NOT lang:ar"), english) is not None
    assert matches(parse("strike NOT lang:en"), english) is None


def test_digest_check_refuses_a_rule_that_does_not_parse(tmp_path: Path) -> None:
    config = tmp_path / "digest.toml"
    config.write_text(
        '[[alerts]]\nname = "south"\nquery = "(category:airstrike OR category:shelling"\n',
        encoding="utf-8",
    )
    checked = digest("--config", str(config), "check", cwd=tmp_path)
    assert checked.returncode == 2
    assert "alerts[0].query: at character 41: expected ')'" in checked.stderr
    assert "Traceback" not in checked.stderr


def test_alerts_test_lists_the_stored_items_a_rule_matches_and_why(tmp_path: Path) -> None:
    assert digest("demo", "--out", "out", cwd=tmp_path).returncode == 0
    config = tmp_path / "digest.toml"
    config.write_text('[storage]\ndatabase = "out/digest.sqlite3"\n', encoding="utf-8")
    tried = digest(
        "--config",
        str(config),
        "alerts",
        "test",
        "evacuat* OR إخلاء",
        "--days",
        "36500",
        cwd=tmp_path,
    )
    assert tried.returncode == 0, tried.stderr
    assert "why: evacuat* in “evacuation”" in tried.stdout
    assert "why: إخلاء in “الإخلاء”" in tried.stdout
    assert "2 of " in tried.stdout
    bad = digest("--config", str(config), "alerts", "test", "a AND", cwd=tmp_path)
    assert bad.returncode == 2 and "at character 6: expected" in bad.stderr
    assert "Traceback" not in bad.stderr


class Receiver:
    """A webhook endpoint on loopback that keeps every POST and answers with `answers` in turn
    (200 once they run out)."""

    def __init__(self, answers: list[int] | None = None) -> None:
        self.posts: list[tuple[dict[str, str], bytes]] = []
        self.times: list[float] = []  # time.monotonic() of each POST
        self.answers = list(answers or [])
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.posts.append((dict(self.headers), body))
                outer.times.append(time.monotonic())
                self.send_response(outer.answers.pop(0) if outer.answers else 200)
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def rss(items: list[tuple[str, str]]) -> str:
    """An RSS feed of (guid, title) items published in the last hour."""
    when = format_datetime(datetime.now(UTC) - timedelta(minutes=30))
    entries = "".join(
        f"<item><guid>{guid}</guid><title>{title}</title><description>{title}</description>"
        f"<pubDate>{when}</pubDate></item>"
        for guid, title in items
    )
    channel = f"<channel><title>t</title>{entries}</channel>"
    return f'<?xml version="1.0"?><rss version="2.0">{channel}</rss>'


def test_a_story_fires_once_per_rule_and_again_when_its_severity_rises(
    tmp_path: Path, feed_server: FeedServer, mailbox: tuple[Mailbox, int]
) -> None:
    names = ["wire", "s1", "s2", "s3", "s4", "s5"]
    for name in names:
        (feed_server.root / f"{name}.xml").write_text(rss([]), encoding="utf-8")
    receiver = Receiver()
    handler, port = mailbox
    alerts = (
        f'[smtp]\nhost = "127.0.0.1"\nport = {port}\nfrom_addr = "digest@example.org"\n'
        '[[alerts]]\nname = "south"\nquery = "category:airstrike AND region:LB4"\n'
        f'webhooks = ["{receiver.url}"]\nsecret_env = "TEST_HOOK_KEY"\n'
        'recipients = ["duty@example.org", "deputy@example.org"]\n'
        '[[alerts]]\nname = "north"\nquery = "region:LB5"\n'
        f'webhooks = ["{receiver.url}"]\nrecipients = ["north@example.org"]\n'
    )
    config = config_for(tmp_path, [(n, feed_server.url(f"{n}.xml")) for n in names], alerts)

    def fetch() -> list[str]:
        done = digest(
            "--config", str(config), "fetch", "--all", cwd=tmp_path, env={"TEST_HOOK_KEY": "k3y"}
        )
        assert done.returncode == 0, done.stderr
        return [line for line in done.stdout.splitlines() if line.startswith("alert ")]

    assert fetch() == []
    first = "Drone strike on a car in Aitaroun kills one"
    (feed_server.root / "wire.xml").write_text(rss([("w1", first)]), encoding="utf-8")
    fired = fetch()
    assert len(fired) == 1 and fired[0].startswith(f"alert south: {first}")
    for n in names[1:]:  # the same incident from five more sources
        same = f"Drone strike hits a car near Aitaroun, one dead ({n})"
        (feed_server.root / f"{n}.xml").write_text(rss([(n, same)]), encoding="utf-8")
    assert fetch() == []
    worse = "Aitaroun drone strike: death toll rises to five"
    (feed_server.root / "wire.xml").write_text(
        rss([("w1", first), ("w2", worse)]), encoding="utf-8"
    )
    fired = fetch()
    assert len(fired) == 1 and fired[0].startswith("alert south (severity rose):")
    assert "severity 4" in fired[0]
    # the webhook got one message for the new story and one follow-up, each signed
    receiver.stop()
    assert [json.loads(body)["kind"] for _, body in receiver.posts] == ["new", "rise"]
    for headers, body in receiver.posts:
        expected = "sha256=" + hmac.new(b"k3y", body, hashlib.sha256).hexdigest()
        assert headers["X-Digest-Signature"] == expected
        message = json.loads(body)
        assert message["rule"] == "south" and message["text"].startswith("[south")
    assert json.loads(receiver.posts[1][1])["severity"] == 4
    # and the same two by email through the outbox, once to each recipient of the rule
    mails = [(to, message) for tos, message in handler.received for to in tos]
    assert sorted(to for to, _ in mails) == sorted(["duty@example.org", "deputy@example.org"] * 2)
    subjects = [
        str(message["Subject"]).strip() for to, message in mails if to == "duty@example.org"
    ]
    assert subjects == [f"[alert south] {first}", f"[alert south] {worse}"]
    follow_up = mails[-1][1].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "SEVERITY ROSE" in follow_up and "category airstrike" in follow_up
    assert "alerts south" in str(mails[0][1]["List-Id"])
    assert len({str(message["Message-ID"]) for _, message in mails}) == 4


def test_a_rule_waits_for_its_minimum_severity(classifier: Classifier) -> None:
    from digest.alerts.fire import Watch, compiled
    from digest.config import AlertConfig
    from digest.types import Story, StoryMember, StoryView

    entry = item(classifier, "Drone strike on a car in Aitaroun", "")
    story = Story(
        "s",
        (StoryMember("x", "first report"),),
        entry.item.published,
        entry.item.published,
        2,
        ("airstrike",),
        None,
    )
    view = StoryView(story, (entry,))
    strict = compiled([AlertConfig(name="r", query="drone", min_severity=3)])
    loose = compiled([AlertConfig(name="r", query="drone", min_severity=2)])
    assert Watch(strict).fire([view], {}) == []
    (firing,) = Watch(loose).fire([view], {})
    assert firing.kind == "new" and firing.reasons == ("drone in “Drone”",)
    assert Watch(loose).fire([view], {("r", "s"): 2}) == []
    assert Watch(loose).fire([view], {("r", "s"): 1})[0].kind == "rise"


def test_a_rule_on_corroboration_fires_when_the_story_is_confirmed(
    classifier: Classifier,
) -> None:
    from digest.alerts.fire import Watch, compiled
    from digest.config import AlertConfig
    from digest.types import SourceTier, Story, StoryMember, StoryView

    def report(title: str, source: str) -> AssessedItem:
        entry = item(classifier, title, "", source=source)
        return AssessedItem(replace(entry.item, id=source), entry.assessment)

    local = report("Drone strike on a car in Aitaroun", "Local")
    party = report("Drone strike hits a car in Aitaroun", "Party")
    agency = report("UN: drone strike on a car in Aitaroun", "UN")
    tiers = {"Local": SourceTier(3, "x"), "Party": SourceTier(3, "x"), "UN": SourceTier(1)}

    def view(*entries: AssessedItem) -> StoryView:
        members = tuple(StoryMember(e.item.id, "r") for e in entries)
        first = entries[0].item.published
        return StoryView(Story("s", members, first, first, 3, ("airstrike",), None), entries)

    rules = compiled(
        [
            AlertConfig(name="two", query="drone AND sources>=2", min_severity=1),
            AlertConfig(name="official", query="drone AND tier<=1", min_severity=1),
        ]
    )
    watch = Watch(rules, tiers)
    assert watch.fire([view(local)], {}) == []
    assert watch.fire([view(local, party)], {}) == []  # one affiliation: one voice
    fired = watch.fire([view(local, party, agency)], {})
    assert sorted((f.rule, f.reasons[-1]) for f in fired) == [
        ("official", "best source tier 1"),
        ("two", "2 independent sources"),
    ]


def test_a_watch_fires_when_a_report_that_does_not_match_lifts_the_story_over_the_threshold(
    classifier: Classifier,
) -> None:
    from dataclasses import replace

    from digest.alerts.fire import Watch, compiled
    from digest.config import AlertConfig
    from digest.types import Story, StoryMember, StoryView

    def report(number: int, title: str) -> AssessedItem:
        entry = item(classifier, title)
        when = entry.item.published + timedelta(hours=number)
        return replace(entry, item=replace(entry.item, id=f"i{number}", published=when))

    drone, toll, later = (
        report(1, "Drone strike on a car in Aitaroun"),
        report(2, "Three killed in Aitaroun"),
        report(3, "Aitaroun: funerals held"),
    )

    def view(severity: int, *entries: AssessedItem) -> StoryView:
        members = tuple(StoryMember(e.item.id, "") for e in entries)
        first = entries[0].item.published
        return StoryView(Story("s", members, first, first, severity, (), None), entries)

    watch = Watch(compiled([AlertConfig(name="r", query="drone", min_severity=3)]))
    assert watch.fire([view(2, drone)], {}) == []  # below the rule's threshold
    (firing,) = watch.fire([view(3, drone, toll)], {})  # only the new report was matched
    assert firing.entry.item.id == "i1" and firing.kind == "new"
    assert watch.fire([view(3, drone, toll, later)], {("r", "s"): 3}) == []
    (rise,) = watch.fire([view(4, drone, toll, later)], {("r", "s"): 3})
    assert rise.kind == "rise" and rise.entry.item.id == "i1"


def test_a_webhook_that_fails_is_retried_later_and_a_refusal_is_dead(tmp_path: Path) -> None:
    import asyncio

    import httpx

    from digest.alerts.fire import Firing
    from digest.alerts.webhooks import deliver_webhooks
    from digest.config import AlertConfig, SmtpConfig
    from digest.intake import dispatch_alerts
    from digest.render import environment
    from digest.storage.base import NewSource
    from digest.storage.sqlite import SqliteStorage
    from digest.types import Story, StoryMember

    from .test_storage import NOW
    from .test_storage import items as cedar_items

    storage = SqliteStorage(tmp_path / "d.sqlite3")
    storage.sync_sources([NewSource("Cedar", "https://cedar.example/rss")], "config")
    stored = cedar_items()[1:2]
    storage.store_items(storage.source("Cedar").id, stored)
    flaky, refusing = Receiver([500, 200]), Receiver([404])
    alert = AlertConfig(name="r", query="strike", webhooks=[flaky.url, refusing.url])
    entry = item(Classifier.from_signals(), stored[0].title)
    entry = AssessedItem(stored[0], entry.assessment)
    story = Story("s", (StoryMember(stored[0].id, "first report"),), NOW, NOW, 3, (), None)
    firing = Firing("r", story, entry, ("strike in “strike”",), "new")
    storage.record_firings([firing], NOW)
    dispatch_alerts(storage, [alert], environment, SmtpConfig(), NOW)

    async def send(at: datetime) -> list[tuple[str, str]]:
        async with httpx.AsyncClient() as client:
            done = await deliver_webhooks(storage, [alert], client, at)
        return [(o.send.target, o.status) for o in done]

    assert sorted(asyncio.run(send(NOW))) == sorted(
        [(flaky.url, "pending"), (refusing.url, "dead")]
    )
    assert asyncio.run(send(NOW + timedelta(seconds=10))) == []  # not due yet
    assert asyncio.run(send(NOW + timedelta(minutes=2))) == [(flaky.url, "sent")]
    assert len(flaky.posts) == 2 and flaky.posts[0][1] == flaky.posts[1][1]  # the same message
    assert "X-Digest-Signature" not in flaky.posts[0][0]  # no secret configured
    flaky.stop()
    refusing.stop()
    storage.close()
