"""The web archive over a real SQLite file: search (folding, filters, pages), the pages, the
machine formats, security headers and access control, the static export and the CLI verbs."""

from __future__ import annotations

import base64
import csv
import io
import json
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import feedparser
import pytest
from starlette.testclient import TestClient

from digest import intake, pipeline
from digest.cli import main
from digest.config import ProfileConfig, SignalsConfig
from digest.errors import StorageError
from digest.render import environment
from digest.signals.classify import Classifier
from digest.signals.gazetteer import Gazetteer
from digest.sources.normalise import normalise
from digest.storage.base import NewSource
from digest.storage.migrations import LATEST
from digest.storage.reader import ArchiveReader
from digest.storage.search import SearchFilters, match_expression
from digest.storage.sqlite import SqliteStorage
from digest.types import AssessedItem, RawItem
from digest.web.app import create_app
from digest.web.export import export_site
from digest.web.security import Access
from digest.web.site import Site

from .conftest import database_at

NOW = datetime(2026, 3, 24, 4, 30, tzinfo=UTC)
DAY = NOW.date().isoformat()

REPORTS = [
    # (source, hours before NOW, title, text)
    ("Cedar Wire", 20, "Israeli drone strike kills two in Nabatieh", "A drone struck a car."),
    (
        "Sawt al-Janoub",
        18,
        "غارة إسرائيلية على بلدة عيترون في قضاء بنت جبيل",
        "استهدفت غارة منزلا في عيترون.",
    ),
    (
        "Sawt al-Janoub",
        16,
        "قصف مدفعي على الضاحية الجنوبية",
        "وبالضاحية الجنوبية سقطت قذائف على حارة حريك.",
    ),
    ("Levant Hebdo", 14, "Des obus tombent près de Khiam, à Nabatiyé", "Bombardement à Khiam."),
    ("Cedar Wire", 12, "Football club wins the cup in Beirut", "Fans celebrated all night."),
    ("Cedar Wire", 60, "Protesters block the main road in Tripoli", "Burning tyres on the road."),
    ("Levant Hebdo", 10, "=cmd|' /C calc'!A0 frappe sur Tyr", "Une frappe aérienne sur Tyr."),
    ("Cedar Wire", 8, "Airstrike hits Bint Jbeil outskirts", "Warplanes struck Bint Jbeil."),
]


@dataclass
class Archive:
    path: Path
    site: Site
    client: TestClient
    entries: list[AssessedItem]


def store(storage: SqliteStorage, reports: list[tuple[str, int, str, str]]) -> None:
    names = sorted({source for source, *_ in reports})
    storage.sync_sources([NewSource(n, f"https://{n[:5].lower()}.example/rss") for n in names], "c")
    for n, (source, hours, title, text) in enumerate(reports):
        raw = RawItem(
            guid=f"{source}-{n}-{title[:8]}",
            url=f"https://news.example/{n}",
            title=title,
            summary_html=f"<p>{text}</p>",
            published=NOW - timedelta(hours=hours),
        )
        storage.store_items(storage.source(source).id, [normalise(raw, source, NOW, None)])


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Archive]:
    path = tmp_path_factory.mktemp("web") / "digest.sqlite3"
    storage = SqliteStorage(path)
    store(storage, REPORTS)
    gazetteer = Gazetteer.load()
    intake.assess_pending(storage, lambda: Classifier.from_signals(SignalsConfig(), gazetteer), NOW)
    intake.cluster_pending(storage, NOW)
    profile = ProfileConfig(name="beirut-office", min_severity=1)
    pipeline.build_digest(
        storage, profile, NOW.date(), environment(), pipeline.region_parents(gazetteer), NOW
    )
    entries = storage.assessed_items(NOW - timedelta(days=30), NOW + timedelta(days=1))
    storage.close()
    site = Site(path, environment(), gazetteer, "Asia/Beirut", page_size=3)
    with TestClient(create_app(site)) as client:
        yield Archive(path, site, client, entries)
    site.close()


def ids(response_json: dict[str, object]) -> list[str]:
    return [item["id"] for item in response_json["items"]]  # type: ignore[attr-defined,index]


def all_pages(client: TestClient, url: str) -> list[str]:
    """Every item id a paged API search returns, following `next` to the end."""
    found: list[str] = []
    next_url: str | None = url
    while next_url:
        page = client.get(next_url).json()
        found += ids(page)
        next_url = page["next"]
    return found


def newest_first(entries: list[AssessedItem]) -> list[str]:
    return [e.item.id for e in sorted(entries, key=lambda e: e.item.published, reverse=True)]


def title_of(archive: Archive, item_id: str) -> str:
    return next(e.item.title for e in archive.entries if e.item.id == item_id)


@pytest.mark.parametrize(
    ("query", "expected_title"),
    [
        ("NABATIYÉ", "Des obus tombent près de Khiam, à Nabatiyé"),  # case and accents
        ("nabatiye", "Des obus tombent près de Khiam, à Nabatiyé"),
        ("غاره", "غارة إسرائيلية على بلدة عيترون في قضاء بنت جبيل"),  # ta marbuta folded
        ("غارةٌ", "غارة إسرائيلية على بلدة عيترون في قضاء بنت جبيل"),  # tashkeel dropped
        ('"drone strike"', "Israeli drone strike kills two in Nabatieh"),
        ("footb*", "Football club wins the cup in Beirut"),
    ],
)
def test_search_folds_text_as_the_signal_engine_does(
    archive: Archive, query: str, expected_title: str
) -> None:
    found = all_pages(archive.client, f"/api/items?q={query}")
    assert expected_title in [title_of(archive, i) for i in found]


def test_an_arabic_word_is_found_behind_its_clitic_prefixes(archive: Archive) -> None:
    # "وبالضاحية" (and in Dahiyeh) is in the text only with its prefixes
    found = all_pages(archive.client, "/api/items?q=" + "ضاحية")
    assert [title_of(archive, i) for i in found] == ["قصف مدفعي على الضاحية الجنوبية"]
    phrase = all_pages(archive.client, '/api/items?q="الضاحية الجنوبية"')
    assert phrase == found


def test_or_and_leaving_words_out(archive: Archive) -> None:
    either = {title_of(archive, i) for i in all_pages(archive.client, "/api/items?q=Khiam OR cup")}
    assert either == {
        "Des obus tombent près de Khiam, à Nabatiyé",
        "Football club wins the cup in Beirut",
    }
    without = all_pages(archive.client, "/api/items?q=Khiam OR cup -football")
    assert [title_of(archive, i) for i in without] == ["Des obus tombent près de Khiam, à Nabatiyé"]


@pytest.mark.parametrize("junk", ['"', "(", "AND", "NEAR(", "*", "a:b", "^x", "OR OR", "'"])
def test_no_input_is_a_search_syntax_error(archive: Archive, junk: str) -> None:
    assert archive.client.get("/search", params={"q": junk}).status_code == 200
    assert archive.client.get("/api/items", params={"q": junk}).status_code in (200, 400)


def test_a_query_of_only_left_out_words_is_explained(archive: Archive) -> None:
    response = archive.client.get("/api/items?q=-football")
    assert response.status_code == 400
    assert "nothing to search for" in response.json()["error"]
    page = archive.client.get("/search?q=-football")
    assert page.status_code == 200 and "nothing to search for" in page.text
    assert match_expression('x -"y z"') == '"x" NOT "y z"'


def brute_force(archive: Archive, f: SearchFilters) -> list[str]:
    """What the filters should select, worked out over every stored item without the index."""

    def keep(e: AssessedItem) -> bool:
        a = e.assessment
        codes = {
            c for loc in a.locations for c in (loc.country, loc.admin1_pcode, loc.admin2_pcode)
        }
        day = e.item.published.astimezone(ZoneInfo("Asia/Beirut")).date()  # the archive's days
        return (
            (f.region is None or f.region in codes)
            and (f.category is None or f.category in a.categories)
            and (f.severity is None or a.severity >= f.severity)
            and (f.lang is None or a.lang == f.lang)
            and (f.source is None or e.item.source == f.source)
            and (not f.risk or a.risk)
            and (f.start is None or day >= f.start)
            and (f.end is None or day <= f.end)
        )

    return newest_first([e for e in archive.entries if keep(e)])


@pytest.mark.parametrize(
    "params",
    [
        {"region": "LB4"},  # a governorate takes in its districts
        {"region": "LB41"},
        {"region": "LB"},
        {"category": "airstrike"},
        {"severity": "3"},
        {"lang": "ar"},
        {"source": "Cedar Wire"},
        {"risk": "true"},
        {"from": "2026-03-23", "to": "2026-03-23"},
        {"region": "LB4", "lang": "en", "risk": "true"},
        {"to": "2026-03-22"},
    ],
)
def test_filters_select_exactly_what_they_say_newest_first_across_pages(
    archive: Archive, params: dict[str, str]
) -> None:
    expected = brute_force(archive, SearchFilters.model_validate(params))
    query = "&".join(f"{k}={v}" for k, v in params.items())
    assert all_pages(archive.client, f"/api/items?{query}") == expected
    assert expected, f"the fixture should give {params} something to find"


def test_words_and_filters_together(archive: Archive) -> None:
    found = all_pages(archive.client, "/api/items?q=Khiam OR Jbeil OR strike&region=LB41")
    expected = brute_force(archive, SearchFilters(region="LB41"))
    titles = {title_of(archive, i) for i in found}
    assert found and set(found) <= set(expected)
    assert "Airstrike hits Bint Jbeil outskirts" in titles


def test_best_match_order_pages_with_an_offset(archive: Archive) -> None:
    first = archive.client.get(
        "/api/items?q=strike OR frappe OR Khiam OR Jbeil&sort=relevance"
    ).json()
    assert len(first["items"]) == 3 and "offset=3" in first["next"]
    rest = all_pages(archive.client, first["next"])
    assert not set(rest) & set(ids(first))
    bad = archive.client.get("/api/items?sort=relevance")
    assert bad.status_code == 400 and "relevance" in bad.json()["error"]


def test_bad_parameters_get_a_clear_400(archive: Archive) -> None:
    for query, word in [
        ("from=2026-13-01", "from"),
        ("severity=9", "severity"),
        ("region=<script>", "region"),
        ("from=2026-03-24&to=2026-03-01", "before the start"),
        ("limit=0", "limit"),
    ]:
        response = archive.client.get(f"/api/items?{query}")
        assert response.status_code == 400 and word in response.json()["error"], query
    page = archive.client.get("/search?region=<script>")
    assert page.status_code == 400 and "<script>" not in page.text


def test_stories_view_lists_each_story_once(archive: Archive) -> None:
    data = archive.client.get("/api/stories?q=Khiam OR strike OR غارة&limit=50").json()
    story_ids = [s["id"] for s in data["stories"]]
    assert story_ids and len(story_ids) == len(set(story_ids))
    page = archive.client.get("/search?q=Khiam&view=stories")
    assert page.status_code == 200
    assert f'href="/stories/{story_ids[0]}"' in page.text or "/stories/" in page.text


def test_stories_pages_never_repeat_a_story(archive: Archive) -> None:
    whole = [s["id"] for s in archive.client.get("/api/stories?limit=50").json()["stories"]]
    paged: list[str] = []
    url: str | None = "/api/stories?limit=2"
    while url:
        page = archive.client.get(url).json()
        paged += [s["id"] for s in page["stories"]]
        url = page["next"]
    assert len(whole) > 2 and paged == whole


@pytest.mark.parametrize(
    "url",
    [
        "/api/items?to=9999-12-31",
        "/search.csv?from=0001-01-01",
        "/overview?until=9999-12-31",
        "/trends?region=LB99",
        "/trends?severity=7",
        "/trends?days=0",
        "/api/items?limit=%C2%B2",
        "/api/items?before=abc",
        "/unsubscribe?kind=digest&list=x&to=a@b.org&sig=%C3%A9",
    ],
)
def test_odd_parameters_are_refused_not_crashed_on(archive: Archive, url: str) -> None:
    assert archive.client.get(url).status_code == 400


def test_the_pages_link_up(archive: Archive) -> None:
    client = archive.client
    index = client.get("/")
    assert index.status_code == 200 and f'href="/digests/beirut-office/{DAY}"' in index.text
    digest = client.get(f"/digests/beirut-office/{DAY}")
    assert digest.status_code == 200
    story_links = re.findall(r'href="(/stories/[0-9a-f]+)"', digest.text)
    assert story_links
    story = client.get(story_links[0])
    assert story.status_code == 200 and "Timeline" in story.text and "Joined:" in story.text
    assert f"beirut-office {DAY}" in story.text  # the digests that carried it
    email = client.get(f"/digests/beirut-office/{DAY}/email")
    assert email.status_code == 200 and "sandbox" in email.headers["content-security-policy"]
    overview = client.get(f"/overview?until={DAY}&days=7")
    assert (
        overview.status_code == 200 and "<svg" in overview.text and "El Nabatieh" in overview.text
    )
    for missing in ["/stories/nope", "/digests/beirut-office/2020-01-01", "/nowhere"]:
        assert client.get(missing).status_code == 404
    assert client.get("/api/stories/nope").status_code == 404


def test_the_districts_page_shows_the_digests_trend_table_and_a_chart_per_district(
    archive: Archive,
) -> None:
    page = archive.client.get(f"/trends?until={DAY}&days=7")
    assert page.status_code == 200 and f"{DAY} against the 7 and 28 days before" in page.text
    today = archive.client.get("/trends").text  # a day not over: its last 24 hours
    assert re.search(r"The 24 hours to \d\d:00 against the 7 and 28 days before", today)
    assert 'class="trend-table"' in page.text and "28-day average" in page.text
    charts = re.findall(r"<figcaption>.*?</figcaption>", page.text, re.S)
    assert charts and all("<svg" in page.text.split(c)[1][:400] for c in charts)
    assert "El Nabatieh" in page.text
    everywhere = re.findall(r'<span class="pcode">(LB\d+)</span>', page.text)
    assert any(code.startswith("LB4") for code in everywhere)
    south = archive.client.get(f"/trends?until={DAY}&days=7&region=LB4&severity=2").text
    codes = re.findall(r'<span class="pcode">(LB\d+)</span>', south)
    assert codes and all(code.startswith("LB4") for code in codes)


def test_every_response_carries_the_security_headers(archive: Archive) -> None:
    for url in ["/", "/search?q=x", "/api/items", "/static/archive.css", "/nowhere"]:
        headers = archive.client.get(url).headers
        policy = headers["content-security-policy"]
        assert "default-src 'none'" in policy and "script-src" not in policy
        assert "frame-ancestors 'none'" in policy
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["x-frame-options"] == "DENY"


def test_no_page_loads_anything_from_elsewhere(archive: Archive) -> None:
    for url in ["/", f"/digests/beirut-office/{DAY}", "/search?q=strike", "/overview", "/trends"]:
        html = archive.client.get(url).text
        assert "<script" not in html
        for ref in re.findall(r'(?:src|href)="([^"]+)"', html):
            if ref.startswith("http"):
                assert re.search(r"<a [^>]*href=\"" + re.escape(ref), html), ref  # links only


def test_machine_formats(archive: Archive) -> None:
    client = archive.client
    item = client.get("/api/items?q=Nabatieh").json()["items"][0]
    assert {"id", "title", "url", "source", "published", "categories", "locations", "story"} <= set(
        item
    )
    rows = list(csv.reader(io.StringIO(client.get("/search.csv?q=Tyr").text)))
    assert rows[0][0] == "published" and rows[1][rows[0].index("title")].startswith("'=")
    geo = json.loads(client.get("/search.geojson?region=LB4").text)
    assert geo["type"] == "FeatureCollection" and geo["features"]
    for feature in geo["features"]:
        lon, lat = feature["geometry"]["coordinates"]
        assert 35 < lon < 37 and 33 < lat < 35  # Lebanon, longitude first
    atom = feedparser.parse(io.BytesIO(client.get("/search.atom?q=strike").content))
    assert not atom.bozo and atom.entries
    assert all("strike" in e.title.lower() or "strike" in e.summary.lower() for e in atom.entries)
    digests = feedparser.parse(io.BytesIO(client.get("/digests.atom").content))
    assert not digests.bozo and digests.entries[0].link.endswith(f"/digests/beirut-office/{DAY}")
    listing = client.get("/api/digests").json()["digests"]
    assert listing[0]["profile"] == "beirut-office" and listing[0]["stories"] > 0


def test_access_control_by_token_or_basic_auth(archive: Archive) -> None:
    access = Access(token="s3cret-token", username="officer", password="pa ss:word")
    with TestClient(create_app(archive.site, access)) as client:
        refused = client.get("/")
        assert refused.status_code == 401 and refused.headers["www-authenticate"].startswith(
            "Basic"
        )
        assert "content-security-policy" in refused.headers
        assert client.get("/", headers={"Authorization": "Bearer s3cret-token"}).status_code == 200
        assert client.get("/", headers={"Authorization": "Bearer wrong"}).status_code == 401
        basic = base64.b64encode(b"officer:pa ss:word").decode()
        assert client.get("/api/items", headers={"Authorization": f"Basic {basic}"}).is_success
        wrong = base64.b64encode(b"officer:nope").decode()
        assert client.get("/", headers={"Authorization": f"Basic {wrong}"}).status_code == 401
        assert client.get("/", headers={"Authorization": "Basic !!!"}).status_code == 401
        assert "private" in client.get("/", auth=("officer", "pa ss:word")).headers["cache-control"]


def test_the_archive_cannot_write(archive: Archive) -> None:
    reader = ArchiveReader(archive.path)
    with pytest.raises(StorageError):
        reader._query("DELETE FROM items")
    reader.close()
    count = sqlite3.connect(archive.path).execute("SELECT count(*) FROM items").fetchone()[0]
    assert count == len(REPORTS)


def test_a_corrected_report_is_found_by_its_new_words_only(tmp_path: Path) -> None:
    storage = SqliteStorage(tmp_path / "d.sqlite3")
    store(storage, [("Cedar Wire", 5, "Shelling near Khiam", "first version")])
    store(storage, [("Cedar Wire", 5, "Shelling near Khiam", "corrected: Marjayoun")])
    storage.close()
    reader = ArchiveReader(tmp_path / "d.sqlite3")
    assert len(reader.search(SearchFilters(q="Marjayoun"), 10).hits) == 1
    assert reader.search(SearchFilters(q="version"), 10).hits == ()
    assert len(reader.search(SearchFilters(), 10).hits) == 1
    reader.close()


def test_odd_dates_many_items_of_one_second_and_control_characters(tmp_path: Path) -> None:
    storage = SqliteStorage(tmp_path / "d.sqlite3")
    storage.sync_sources([NewSource("Wire", "https://wire.example/rss")], "config")
    source = storage.source("Wire").id
    moment = datetime(2026, 3, 23, 8, 0, tzinfo=UTC)
    raws = [
        RawItem(f"same-{n}", None, f"Roadblock number {n}", "<p>x</p>", moment) for n in range(300)
    ]
    raws.append(
        RawItem(
            "epoch",
            None,
            "Zanzibarquake at epoch",
            "<p>old</p>",
            datetime(1969, 12, 31, 22, tzinfo=UTC),
        )
    )
    raws.append(RawItem("ctl", None, "Control \x02 character", "<p>x\x1f</p>", moment))
    storage.store_items(source, [normalise(raw, "Wire", NOW, None) for raw in raws])
    storage.close()
    site = Site(tmp_path / "d.sqlite3", environment(), Gazetteer.load(), page_size=100)
    with TestClient(create_app(site)) as client:
        assert len(all_pages(client, "/api/items?q=roadblock")) == 300  # one key each
        assert len(all_pages(client, "/api/items?q=zanzibarquake")) == 1
        atom = feedparser.parse(io.BytesIO(client.get("/search.atom?q=control").content))
        assert not atom.bozo and atom.entries[0].title.split() == ["Control", "character"]
    site.close()


def test_items_stored_before_the_index_existed_are_indexed_by_the_migration(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.sqlite3"
    db = database_at(path, 7)
    db.executescript(
        """
        INSERT INTO sources (id, name, url, created_at) VALUES (1, 'NNA', 'https://n', 'x');
        INSERT INTO items (id, source_id, title, text, summary_html, published_at, fetched_at,
            updated_at, content_hash) VALUES ('a', 1, 'غارة على النبطية', 'x', '',
            '2026-03-23T10:00:00Z', '2026-03-23T10:00:00Z', '2026-03-23T10:00:00Z', 'h');
        INSERT INTO assessments (item_id, engine, lang, risk, severity, categories, locations,
            evidence, assessed_at) VALUES ('a', 'e', 'ar', 1, 3, '["airstrike"]',
            '[{"name": "Nabatieh", "place": null, "country": "LB", "admin1": "El Nabatieh",
               "admin1_pcode": "LB4", "admin2": "El Nabatieh", "admin2_pcode": "LB42",
               "lat": 33.38, "lon": 35.48, "precision": "admin2"}]', '[]', 'x');
        PRAGMA user_version = 7;
        """
    )
    db.close()
    SqliteStorage(path).close()
    reader = ArchiveReader(path)
    assert reader.schema_version == LATEST
    (hit,) = reader.search(SearchFilters(q="غاره", region="LB4", category="airstrike"), 5).hits
    assert hit.item.id == "a" and hit.assessment is not None and hit.assessment.severity == 3
    reader.close()


def test_an_old_database_is_not_served_before_it_is_upgraded(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {LATEST - 1}")
    db.close()
    with pytest.raises(StorageError, match="upgrade"):
        ArchiveReader(path)


def test_the_static_export_links_only_to_files_it_wrote(archive: Archive, tmp_path: Path) -> None:
    written = export_site(archive.site, tmp_path / "site")
    assert written[0] == tmp_path / "site" / "index.html"
    pages = [p for p in written if p.suffix == ".html" and p.name != "email.html"]
    assert any("stories" in p.parts for p in pages)
    for page in pages:
        for ref in re.findall(r'(?:href|src)="([^"#]+)"', page.read_text(encoding="utf-8")):
            if urlsplit(ref).scheme:  # the publishers' links, and the icon's data: URL
                continue
            target = (page.parent / ref).resolve()
            assert target.is_file(), f"{page.relative_to(tmp_path)} links to missing {ref}"
        assert "/search" not in page.read_text(encoding="utf-8")  # no server, no search


def test_cli_export_site_and_serve_refusing_a_missing_secret(
    archive: Archive, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "digest.toml"
    config.write_text(
        f'[storage]\ndatabase = "{archive.path}"\n[web]\ntoken_env = "DIGEST_TEST_NO_SUCH_TOKEN"\n',
        encoding="utf-8",
    )
    assert main(["--config", str(config), "export-site", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "index.html").is_file()
    assert main(["--config", str(config), "serve"]) == 2
    assert "DIGEST_TEST_NO_SUCH_TOKEN is not set" in capsys.readouterr().err
