"""Evacuation orders through the pipeline: stored with the assessment, one record per story in
every digest while in force, marked districts, alert rules on them."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from digest import orders, pipeline, render
from digest.alerts.match import matches
from digest.alerts.rules import parse
from digest.config import ProfileConfig
from digest.intake import assess, cluster_pending
from digest.signals.classify import Classifier, Text
from digest.signals.evacuation import extract_order
from digest.sources.normalise import content_hash
from digest.storage.base import NewSource
from digest.storage.sqlite import SqliteStorage
from digest.types import AssessedItem, Item, OrderRecord
from digest.web import pages
from digest.web.app import create_app
from digest.web.site import Links, Site

SENT = datetime(2026, 3, 24, 4, 30, tzinfo=UTC)  # 06:30 in Beirut, the profile's send time
WARNING = (
    "إنذار عاجل إلى سكان جنوب لبنان",
    "نشر المتحدث باسم الجيش الإسرائيلي إنذاراً عاجلاً إلى سكان جنوب لبنان، وتحديداً في بلدتي "
    "كفررمان وحاروف في قضاء النبطية، دعاهم فيه إلى الإخلاء فوراً من المباني المحددة والابتعاد "
    "عنها مسافة لا تقل عن 500 متر.",
)
RELAY = (
    "Israeli army orders residents of Kfar Roummane and Harouf to evacuate",
    "The Israeli military told residents of Kfar Roummane and Harouf, in Nabatieh district, "
    "to leave immediately and keep at least 1 km away from marked buildings.",
)
FIRE = (
    "Patients evacuated after fire at Saida hospital",
    "A fire broke out at a hospital in Saida, forcing staff to evacuate patients.",
)


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return Classifier.from_signals()


def item(number: int, source: str, text: tuple[str, str], published: datetime) -> Item:
    title, body = text
    return Item(
        f"i{number}",
        source,
        None,
        f"https://{source.lower()}.example/{number}",
        title,
        body,
        "",
        None,
        published,
        published,
        content_hash(title, body),
    )


def assessed(classifier: Classifier, *items: Item) -> list[AssessedItem]:
    """As the intake assesses them: with the order each gives."""
    found = []
    for entry in items:
        assessment = classifier.classify(Text(entry.id, entry.title, entry.text)).assessment
        order = extract_order(entry, assessment, classifier.gazetteer)
        found.append(AssessedItem(entry, replace(assessment, order=order)))
    return found


def test_the_orders_of_one_story_are_one_record_with_every_place_and_the_larger_radius(
    classifier: Classifier,
) -> None:
    first = SENT - timedelta(hours=10)
    reports = assessed(
        classifier,
        item(1, "Sawt", WARNING, first),
        item(2, "Wire", RELAY, first + timedelta(minutes=40)),
        item(3, "Wire", FIRE, first),
    )
    (record,) = orders.records([("s1", reports[1]), ("s1", reports[0]), ("s2", reports[2])])
    assert record.key == "s1" and record.issued == first
    assert [place.name for place in record.places] == ["Kfar Roummane", "Harouf"]
    assert record.issuer == "Israeli army" and record.radius_m == 1000
    assert record.sources == ("Sawt", "Wire") and record.districts == ("LB44",)


@pytest.fixture(scope="module")
def example(classifier: Classifier) -> AssessedItem:
    (warning,) = assessed(classifier, item(9, "Sawt", WARNING, SENT))
    return warning


def record_at(example: AssessedItem, issued: datetime, key: str = "r") -> OrderRecord:
    assert example.assessment.order is not None
    order = replace(example.assessment.order, issued=issued)
    return OrderRecord(
        key, (replace(example, assessment=replace(example.assessment, order=order)),)
    )


def test_a_digest_shows_new_orders_those_still_in_force_and_those_that_expired(
    example: AssessedItem,
) -> None:
    span = (SENT - timedelta(days=1), SENT)
    found = [
        record_at(example, SENT - timedelta(hours=3), "new"),
        record_at(example, SENT - timedelta(days=3), "in force"),
        record_at(example, SENT - timedelta(days=7, hours=12), "expired"),
        record_at(example, SENT - timedelta(days=7, hours=-12), "last day"),
    ]
    known = orders.standing(found, span, days=7)
    assert [r.key for r in known.issued] == ["new"]
    assert [r.key for r in known.in_force] == ["in force", "last day"]
    assert [r.key for r in known.expired] == ["expired"]


@pytest.mark.parametrize(
    ("profile", "expected"),
    [
        (ProfileConfig(name="p"), True),
        (ProfileConfig(name="p", regions=["LB4"]), True),
        (ProfileConfig(name="p", regions=["LB44"]), True),
        (ProfileConfig(name="p", regions=["LB6"]), False),
        (ProfileConfig(name="p", categories=["airstrike"]), False),
        (ProfileConfig(name="p", min_severity=4), True),  # an order always counts
    ],
)
def test_an_order_concerns_a_profile_by_its_places(
    example: AssessedItem, profile: ProfileConfig, expected: bool
) -> None:
    assert orders.concerns(record_at(example, SENT), profile, {"LB44": "LB4"}) is expected


def test_a_rule_on_evacuation_fires_on_an_order_for_a_place_there_only(
    classifier: Classifier,
) -> None:
    warning, relay, fire = assessed(
        classifier,
        item(1, "Sawt", WARNING, SENT),
        item(2, "Wire", RELAY, SENT),
        item(3, "Wire", FIRE, SENT),
    )
    rule = parse("evacuation:LB44")
    assert matches(rule, warning) == ["evacuation order for Kfar Roummane (LB44)"]
    assert matches(rule, relay) is not None
    assert matches(parse("evacuation:LB4"), warning) is not None
    assert matches(parse("evacuation:LB"), warning) is not None
    assert matches(parse("evacuation:LB6"), warning) is None
    assert matches(parse("evacuation:LB"), fire) is None  # evacuated, but no order
    assert str(parse("evacuation:LB44 AND sources>=2")) == "evacuation:LB44 AND sources>=2"


ISSUED = SENT - timedelta(hours=10)


def stored(path: Path, classifier: Classifier) -> SqliteStorage:
    """A database with the warning and its relay by another source, assessed and clustered."""
    storage = SqliteStorage(path)
    sources = [NewSource("Sawt", "https://sawt.example/"), NewSource("Wire", "https://w.example/")]
    storage.sync_sources(sources, "config")
    for source, number, text, when in (
        ("Sawt", 1, WARNING, ISSUED),
        ("Wire", 2, RELAY, ISSUED + timedelta(minutes=40)),
        ("Wire", 3, FIRE, ISSUED),
    ):
        storage.store_items(storage.source(source).id, [item(number, source, text, when)])
    assess(storage, classifier, storage.unassessed_items(), SENT)
    cluster_pending(storage, SENT)
    return storage


def test_the_archive_lists_orders_by_region_and_shows_a_storys_order(
    tmp_path: Path, classifier: Classifier
) -> None:
    storage = stored(tmp_path / "d.sqlite3", classifier)
    parents = pipeline.region_parents(classifier.gazetteer)
    office = ProfileConfig(name="office")
    pipeline.build_digest(storage, office, date(2026, 3, 24), render.environment(), parents, SENT)
    storage.close()
    site = Site(tmp_path / "d.sqlite3", render.environment(), classifier.gazetteer, "Asia/Beirut")
    with TestClient(create_app(site)) as client:
        page = client.get("/orders?until=2026-03-24&days=2")
        assert page.status_code == 200
        assert page.text.count('class="order text"') == 1  # the relay is the same order
        assert "Kfar Roummane, Harouf" in page.text and "keep at least 1 km away" in page.text
        story = re.search(r'href="(/stories/[^"]+)"', page.text.split('class="order text"')[1])
        assert story is not None
        shown = client.get(story.group(1)).text
        assert "<h2>Evacuation order</h2>" in shown and "order location geonames:" in shown
        elsewhere = client.get("/orders?until=2026-03-24&days=2&region=LB6").text
        assert 'class="order text"' not in elsewhere and "No evacuation order" in elsewhere
        assert client.get("/orders?region=XX").status_code == 400
        digest = client.get("/digests/office/2026-03-24").text
        assert "<h2>Evacuation orders</h2>" in digest and "Kfar Roummane, Harouf" in digest
    site.close()


def test_orders_are_stored_and_marked_in_every_digest_until_they_expire(
    tmp_path: Path, classifier: Classifier
) -> None:
    storage = stored(tmp_path / "d.sqlite3", classifier)
    issued = ISSUED
    (story_id, stored_order), _ = storage.orders_published(issued, SENT)
    assert stored_order.assessment.order is not None and story_id is not None
    assert stored_order.assessment.order.radius_m == 500

    profile = ProfileConfig(name="office", order_days=3)
    parents = pipeline.region_parents(classifier.gazetteer)
    env = render.environment()

    def built(day: date) -> tuple[list[str], list[str], list[str], dict[str, datetime], str]:
        digest, rendered = pipeline.build_digest(storage, profile, day, env, parents, SENT)
        keys = [[r.key for r in part] for part in (digest.orders, digest.in_force, digest.expired)]
        return *keys, digest.marked, rendered.text  # type: ignore[return-value]

    new, in_force, expired, marked, text = built(date(2026, 3, 24))
    assert new == [story_id] and in_force == expired == []
    assert marked == {"LB44": issued}
    assert "EVACUATION ORDERS" in text and "Kfar Roummane, Harouf (El Nabatieh LB44)" in text
    assert text.startswith("SECURITY DIGEST") and "1 evacuation order: Kfar Roummane" in text
    assert "keep at least 1 km away" in text and "Israeli army | issued 23 Mar 20:30" in text
    new, in_force, expired, marked, text = built(date(2026, 3, 26))
    assert (new, in_force, expired) == ([], [story_id], []) and "LB44" in marked
    assert "Still in force (issued in the 3 days before): Kfar Roummane" in text
    new, in_force, expired, marked, text = built(date(2026, 3, 27))
    assert (new, in_force, expired) == ([], [], [story_id]) and marked == {}
    assert "Expired: Kfar Roummane" in text and "1 order expired" in text
    new, in_force, expired, marked, text = built(date(2026, 3, 28))
    assert (new, in_force, expired) == ([], [], []) and "EVACUATION ORDERS" not in text
    storage.close()


def test_an_order_is_issued_when_its_first_report_was_whatever_the_range_asked(
    tmp_path: Path, classifier: Classifier
) -> None:
    storage = stored(tmp_path / "d.sqlite3", classifier)
    later = [
        item(10 + n, "Wire", RELAY, ISSUED + timedelta(hours=hours))
        for n, hours in enumerate((20, 40))
    ]
    storage.store_items(storage.source("Wire").id, later)
    assess(storage, classifier, storage.unassessed_items(), SENT + timedelta(days=2))
    cluster_pending(storage, SENT + timedelta(days=2))
    found = storage.orders_published(ISSUED + timedelta(hours=30), ISSUED + timedelta(hours=50))
    (record,) = orders.records(found)
    assert len(record.reports) == 4 and record.issued == ISSUED  # not the relay's time
    storage.close()


def test_the_orders_page_lists_only_orders_issued_in_its_period(
    tmp_path: Path, classifier: Classifier
) -> None:
    storage = stored(tmp_path / "d.sqlite3", classifier)
    relay = item(10, "Wire", RELAY, ISSUED + timedelta(hours=20))
    storage.store_items(storage.source("Wire").id, [relay])
    assess(storage, classifier, storage.unassessed_items(), SENT + timedelta(days=1))
    cluster_pending(storage, SENT + timedelta(days=1))
    storage.close()
    site = Site(tmp_path / "d.sqlite3", render.environment(), classifier.gazetteer, "Asia/Beirut")
    issued_day = pages.orders_page(site, Links(), date(2026, 3, 23), 1, None)
    relayed_day = pages.orders_page(site, Links(), date(2026, 3, 24), 1, None)
    site.close()
    assert 'class="order text"' in issued_day  # issued 23 Mar 20:30, Beirut
    assert 'class="order text"' not in relayed_day  # a relay the next day is no new order
