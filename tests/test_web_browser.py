"""The web archive in a real browser (Debian's chromium, driven by Playwright) against the real
server (uvicorn on loopback): the calendar, a digest, search in Arabic and English, the region
filter, a story's timeline; then a corpus of script-injection payloads planted in a feed's titles
and summaries, ingested by the pipeline and shown by every page (and by the static export) as
text, never run. Every page visited runs no script, logs no error and fetches nothing from
anywhere but the archive."""

from __future__ import annotations

import asyncio
import html
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit
from urllib.request import urlopen
from xml.etree import ElementTree
from xml.sax.saxutils import escape as xml_escape

import pytest
from playwright.sync_api import Browser, Dialog, Locator, Page

from digest import pipeline
from digest.config import DigestConfig
from digest.demo import DEMO_DAY, DEMO_NOW, run_demo
from digest.render import environment
from digest.signals.classify import Classifier
from digest.signals.gazetteer import Gazetteer
from digest.sources.http import make_client
from digest.storage import open_storage
from digest.storage.reader import ArchiveReader
from digest.web.export import export_site
from digest.web.server import in_background
from digest.web.site import Site

from .conftest import FeedServer, chromium

DAY = DEMO_DAY.isoformat()
PROFILE = "beirut-office"
XSS_PROFILE = "xss-office"

PAYLOADS = (
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    '"><script>alert(1)</script>',
    '<a href="javascript:alert(1)">x</a>',
    "<b><i onmouseover=alert(1)>",
    "</title><script>alert(1)</script>",
    "{{7*7}}",
    "<iframe src=javascript:alert(1)>",
    "javascript:alert(1)",  # also the item's <link>
)
PLACES = (
    "Nabatieh",
    "Kfar Roummane",
    "Khiam",
    "Aitaroun",
    "Harouf",
    "Yohmor",
    "Marjayoun",
    "Kfar Kila",
    "Bint Jbeil",
    "Zawtar",
)
TITLES = tuple(f"Airstrike on {p} kills two {x}" for p, x in zip(PLACES, PAYLOADS, strict=True))

# Everything that would let injected markup act: script, handlers, script URLs, frames.
DANGER = """() => {
  const found = [];
  for (const el of document.querySelectorAll('*')) {
    const tag = el.tagName.toLowerCase();
    if (['script', 'iframe', 'frame', 'object', 'embed', 'base'].includes(tag)) found.push(tag);
    for (const a of el.attributes) {
      const name = a.name.toLowerCase();
      const value = a.value.replace(/[\\s\\u0000-\\u001f]/g, '').toLowerCase();
      if (name.startsWith('on')) found.push(`${tag}[${name}]`);
      if (value.startsWith('javascript:') || value.startsWith('vbscript:')
          || (value.startsWith('data:') && value !== 'data:,')) {
        found.push(`${tag}[${name}=${a.value}]`);
      }
    }
  }
  return found;
}"""


# ---------------------------------------------------------------- the server and the browser


def site_of(database: Path) -> Site:
    return Site(database, environment(), Gazetteer.load(), "Asia/Beirut")


@dataclass
class Watched:
    """What happened on a page: console errors, uncaught errors, dialogs, every request."""

    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)


def watch(page: Page) -> Watched:
    seen = Watched()
    page.on("console", lambda m: seen.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: seen.errors.append(str(e)))
    page.on("request", lambda r: seen.requests.append(r.url))

    def dialog(d: Dialog) -> None:
        seen.dialogs.append(d.message)
        d.dismiss()

    page.on("dialog", dialog)
    return seen


def assert_clean(page: Page, seen: Watched, origin: str) -> None:
    """Nothing ran, failed or was fetched from elsewhere; no script or handler in the DOM."""
    page.wait_for_load_state("load")
    where = page.url
    assert seen.dialogs == [], f"{where}: a dialog opened: {seen.dialogs}"
    assert seen.errors == [], f"{where}: {seen.errors}"
    elsewhere = [u for u in seen.requests if not u.startswith(f"{origin}/") and u != "data:,"]
    assert elsewhere == [], f"{where}: requests to other hosts: {elsewhere}"
    assert page.locator("script").count() == 0, where
    assert page.evaluate(DANGER) == [], where


@dataclass
class Visitor:
    """Opens pages of one origin in a fresh tab each and checks every one of them."""

    browser: Browser
    origin: str
    opened: list[Page] = field(default_factory=list)

    def open(self, path: str, width: int = 1000) -> tuple[Page, Watched]:
        page = self.browser.new_page(viewport={"width": width, "height": 900})
        page.set_default_timeout(10_000)
        self.opened.append(page)
        seen = watch(page)
        response = page.goto(self.origin + path if path.startswith("/") else path)
        assert response is not None and response.ok, f"{path}: {response and response.status}"
        assert_clean(page, seen, self.origin)
        return page, seen

    def close(self) -> None:
        for page in self.opened:
            page.close()


def headlines(within: Page | Locator) -> list[str]:
    """The headlines shown, whitespace collapsed."""
    return [" ".join(t.split()) for t in within.locator(".headline").all_inner_texts()]


def get_json(url: str) -> dict[str, object]:
    with urlopen(url, timeout=10) as response:
        data: dict[str, object] = json.loads(response.read())
    return data


# ---------------------------------------------------------------- the demo archive


@pytest.fixture(scope="module")
def demo_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return run_demo(tmp_path_factory.mktemp("demo")).database


# ---------------------------------------------------------------- the planted payloads


def xss_feed() -> str:
    """An RSS 2.0 feed of ten air strikes around Nabatieh, each title and summary carrying a
    payload. Titles are escaped twice, so that the payload survives as the title's text;
    summaries carry it both as markup (which must be dropped) and as escaped text (kept)."""
    entries = []
    for number, (place, payload, title) in enumerate(zip(PLACES, PAYLOADS, TITLES, strict=True)):
        said = f"An air strike hit a house in {place} near Nabatieh, killing two people, "
        said += f"civil defence said. {payload}"
        summary = f"<p>{html.escape(said)}</p>{payload}<p>Rescue teams searched the rubble.</p>"
        link = payload if payload.startswith("javascript:") else f"https://xss.example/{number}"
        when = format_datetime(DEMO_NOW - timedelta(hours=1, minutes=15 * number))
        entries.append(
            f"<item><title>{xml_escape(html.escape(title))}</title>"
            f"<link>{xml_escape(link)}</link>"
            f"<description><![CDATA[{summary}]]></description>"
            f'<guid isPermaLink="false">xss-{number}</guid><pubDate>{when}</pubDate></item>'
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
        "<title>Xss Wire</title><link>https://xss.example/</link><description>x</description>"
        f"{''.join(entries)}</channel></rss>"
    )


@dataclass(frozen=True)
class Planted:
    database: Path
    export: Path


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Planted:
    """The feed fetched over HTTP from a local server, assessed, clustered and stored by the
    pipeline's poll, a digest built from it, and the archive exported as static files."""
    folder = tmp_path_factory.mktemp("xss")
    www = folder / "www"
    www.mkdir()
    (www / "xss.xml").write_text(xss_feed(), encoding="utf-8")
    feeds = FeedServer(www)
    feeds.thread.start()
    database = folder / "digest.sqlite3"
    config = DigestConfig.model_validate(
        {
            "storage": {"database": str(database)},
            "fetch": {"allow_private_networks": True},  # the feed is served on loopback
            "sources": [{"name": "Xss Wire", "url": feeds.url("xss.xml"), "language": "en"}],
            "profiles": [{"name": XSS_PROFILE, "recipients": ["security@example.org"]}],
        }
    )
    gazetteer = Gazetteer.load()
    classifier = Classifier.from_signals(config.signals, gazetteer)
    storage = open_storage(database)

    async def poll() -> pipeline.PollReport:
        async with make_client(config.fetch) as client:
            return await pipeline.poll(
                storage, config, lambda: classifier, client, DEMO_NOW, everything=True
            )

    try:
        report = asyncio.run(poll())
        assert [(o.status, o.new) for o in report.outcomes] == [("updated", len(TITLES))]
        assert report.assessed == len(TITLES) and report.clustered >= 1
        digest, _ = pipeline.build_digest(
            storage,
            config.profiles[0],
            DEMO_DAY,
            environment(),
            pipeline.region_parents(gazetteer),
            DEMO_NOW,
        )
        assert digest.views, "the planted strikes made no digest"
    finally:
        storage.close()
        feeds.httpd.shutdown()
        feeds.httpd.server_close()
    site = site_of(database)
    try:
        export_site(site, folder / "export")
    finally:
        site.close()
    return Planted(database, folder / "export")


# ---------------------------------------------------------------- servers and the browser


@pytest.fixture(scope="module")
def demo_origin(demo_database: Path) -> Iterator[str]:
    with in_background(site_of(demo_database)) as origin:
        yield origin


@pytest.fixture(scope="module")
def xss_origin(planted: Planted) -> Iterator[str]:
    with in_background(site_of(planted.database)) as origin:
        yield origin


@pytest.fixture(scope="module")
def browser(demo_database: Path, planted: Planted) -> Iterator[Browser]:
    with chromium() as launched:  # after the fixtures that run the pipeline
        yield launched


@pytest.fixture
def demo(browser: Browser, demo_origin: str) -> Iterator[Visitor]:
    visitor = Visitor(browser, demo_origin)
    yield visitor
    visitor.close()


@pytest.fixture
def xss(browser: Browser, xss_origin: str) -> Iterator[Visitor]:
    visitor = Visitor(browser, xss_origin)
    yield visitor
    visitor.close()


# ---------------------------------------------------------------- reading the archive


def follow(page: Page, seen: Watched, origin: str, link: Locator) -> str:
    """Clicks a link of the archive and checks the page it leads to; returns its path."""
    href = link.get_attribute("href") or ""
    assert href.startswith("/"), href
    with page.expect_navigation():
        link.click()
    assert page.url == origin + href
    assert_clean(page, seen, origin)
    return href


def test_the_calendar_links_the_digest_day_and_the_digest_reads(demo: Visitor) -> None:
    page, seen = demo.open("/")
    assert page.locator("table.calendar caption").inner_text() == "March 2026"
    day = page.locator("table.calendar td.has a")
    assert day.count() == 1 and day.inner_text() == "24"
    assert follow(page, seen, demo.origin, day) == f"/digests/{PROFILE}/{DAY}"
    assert page.locator("h1").inner_text().startswith(f"Security digest {PROFILE}")
    assert page.locator("section.warning h2").inner_text() == "Early warning"
    assert page.locator("section.region h2").count() >= 1
    shown = headlines(page)
    assert len(shown) >= 5
    email = page.get_by_role("link", name="The email as sent")
    assert follow(page, seen, demo.origin, email) == f"/digests/{PROFILE}/{DAY}/email"
    assert len(headlines(page)) == len(shown)  # the email as sent tells as many stories


def test_the_digest_page_headlines_each_story_as_the_email_did(demo: Visitor) -> None:
    page, _ = demo.open(f"/digests/{PROFILE}/{DAY}")
    email, _ = demo.open(f"/digests/{PROFILE}/{DAY}/email")
    assert headlines(page) == headlines(email)


def test_a_story_link_from_a_digest_opens_its_timeline(demo: Visitor) -> None:
    page, seen = demo.open(f"/digests/{PROFILE}/{DAY}")
    lead = headlines(page)[0]
    href = follow(page, seen, demo.origin, page.locator(".more a").first)
    assert href.startswith("/stories/")
    assert page.get_by_role("heading", name="Timeline").is_visible()
    reports = page.locator("ol.timeline li.report")
    assert reports.count() >= 1
    assert lead in headlines(reports)
    assert reports.locator(".why").first.inner_text().startswith("Joined:")
    assert page.locator("dl.facts").get_by_text(f"{PROFILE} {DAY}").count() == 1


def search_form(page: Page, query: str, region: str = "") -> None:
    page.locator("input[name=q]").fill(query)
    if region:
        page.locator("select[name=region]").select_option(region)
    with page.expect_navigation():
        page.get_by_role("button", name="Search").click()


def test_search_in_arabic_finds_the_word_with_a_clitic_prefix(demo: Visitor) -> None:
    page, seen = demo.open("/search")
    search_form(page, "غارة")
    assert_clean(page, seen, demo.origin)
    assert "q=" + quote("غارة") in page.url
    titles = headlines(page.locator("ol.hits"))
    assert "غارة جوية تستهدف مبنى في حارة حريك بالضاحية الجنوبية لبيروت" in titles
    assert "شهيد وجريح بغارة من مسيرة على سيارة في عيترون" in titles  # بغارة: clitic ب
    assert page.locator("li.hit mark").first.inner_text() == "غارة"
    directions = page.eval_on_selector_all(
        "li.hit .headline", "els => els.map(e => getComputedStyle(e).direction)"
    )
    assert set(directions) == {"rtl"}


def test_search_in_english_then_open_a_result(demo: Visitor) -> None:
    page, seen = demo.open("/search")
    search_form(page, "strike")
    assert_clean(page, seen, demo.origin)
    titles = headlines(page.locator("ol.hits"))
    assert "Drone strike on car near Aitaroun kills one" in titles
    assert "Air strike hits building in Beirut's southern suburbs" in titles
    href = follow(page, seen, demo.origin, page.locator("li.hit .headline a").first)
    assert href.startswith("/stories/")
    assert page.get_by_role("heading", name="Timeline").is_visible()
    assert titles[0] in headlines(page.locator("ol.timeline"))


def test_the_region_filter_keeps_only_that_governorate(demo: Visitor) -> None:
    page, seen = demo.open("/search")
    options = page.locator("select[name=region] option").all_inner_texts()
    assert any("El Nabatieh (LB4)" in o for o in options)
    search_form(page, "strike", region="LB4")
    assert_clean(page, seen, demo.origin)
    assert "region=LB4" in page.url
    assert page.locator("select[name=region]").input_value() == "LB4"
    shown = headlines(page.locator("ol.hits"))
    assert "Drone strike on car near Aitaroun kills one" in shown
    assert "Air strike hits building in Beirut's southern suburbs" not in shown  # Baabda, LB3
    query = page.url.split("?", 1)[1]
    found = get_json(f"{demo.origin}/api/items?{query}")["items"]
    assert isinstance(found, list)
    assert [item["title"] for item in found] == shown  # the page shows what the API finds
    every = get_json(f"{demo.origin}/api/items?region=LB4&limit=500")["items"]
    assert isinstance(every, list) and len(every) > len(found)
    for item in [*found, *every]:
        codes = {c for loc in item["locations"] for c in (loc["admin1_pcode"], loc["admin2_pcode"])}
        assert any(c and c.startswith("LB4") for c in codes), (item["title"], codes)


def test_overview_and_stories_view(demo: Visitor) -> None:
    page, _ = demo.open(f"/overview?until={DAY}")
    assert page.locator("figure.chart-box svg").count() == 1
    assert "El Nabatieh" in page.locator("table.counts").inner_text()
    stories, _ = demo.open("/search?" + urlencode({"q": "strike", "view": "stories"}))
    assert stories.locator("table.stories .headline").count() >= 2


# ---------------------------------------------------------------- injected markup stays text


def test_payloads_in_titles_and_summaries_show_as_text_on_every_page(
    xss: Visitor, planted: Planted
) -> None:
    index, _ = xss.open("/")
    assert index.locator("table.calendar td.has a").count() == 1

    digest, _ = xss.open(f"/digests/{XSS_PROFILE}/{DAY}")
    shown = headlines(digest)
    assert shown and set(shown) <= set(TITLES), shown
    email, _ = xss.open(f"/digests/{XSS_PROFILE}/{DAY}/email")
    assert headlines(email) == shown

    items, _ = xss.open("/search?q=Nabatieh")
    assert sorted(headlines(items)) == sorted(TITLES)  # every title, whole and as text
    text = items.locator("ol.hits").inner_text()
    for payload in PAYLOADS:
        assert f"civil defence said. {payload}" in text, payload
    assert items.get_by_text("<script>alert(1)</script>", exact=False).count() >= 1
    assert "kills two 49" not in text  # {{7*7}} was not evaluated
    assert items.locator("li.hit .headline a").count() == len(TITLES)  # to their stories

    stories, _ = xss.open("/search?q=Nabatieh&view=stories")
    leads = headlines(stories)
    assert leads and set(leads) <= set(TITLES)

    reader = ArchiveReader(planted.database)
    try:
        ids = reader.all_story_ids()
    finally:
        reader.close()
    assert len(ids) == len(leads)
    in_timelines: list[str] = []
    for story_id in ids:
        page, _ = xss.open(f"/stories/{story_id}")
        assert page.get_by_role("heading", name="Timeline").is_visible()
        in_timelines += headlines(page.locator("ol.timeline"))
        assert page.title() in TITLES  # the <title> is the lead's, escaped
    assert sorted(in_timelines) == sorted(TITLES)

    overview, _ = xss.open(f"/overview?until={DAY}")
    assert "El Nabatieh" in overview.locator("table.counts").inner_text()


def test_the_javascript_link_of_an_item_is_dropped(xss: Visitor) -> None:
    found = get_json(f"{xss.origin}/api/items?q=Zawtar")["items"]
    assert isinstance(found, list) and len(found) == 1
    assert found[0]["title"] == TITLES[-1] and found[0]["url"] is None
    page, _ = xss.open("/search?q=Zawtar")
    assert page.locator("li.hit .meta a").count() == 0  # no "original" link
    assert headlines(page) == [TITLES[-1]]


def test_the_search_feed_carries_the_payloads_as_text(xss: Visitor) -> None:
    with urlopen(f"{xss.origin}/search.atom?q=Nabatieh", timeout=10) as response:
        feed = ElementTree.fromstring(response.read())
    atom = "{http://www.w3.org/2005/Atom}"
    titles = [e.findtext(f"{atom}title") for e in feed.iter(f"{atom}entry")]
    assert sorted(t or "" for t in titles) == sorted(TITLES)


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/search?" + urlencode({"q": "<script>alert(1)</script>"}), 200),
        ("/search?" + urlencode({"q": '"><img src=x onerror=alert(1)>', "view": "stories"}), 200),
        ("/search?" + urlencode({"q": "x", "from": "<script>alert(1)</script>"}), 400),
        ("/search?" + urlencode({"q": "x", "region": '"><svg onload=alert(1)>'}), 400),
        ("/search?" + urlencode({"source": '"><svg onload=alert(1)>'}), 200),
        ("/overview?" + urlencode({"until": "<script>alert(1)</script>"}), 400),
        ("/stories/" + quote("<script>alert(1)</script>", safe=""), 404),
        ("/digests/" + quote("<svg onload=alert(1)>", safe="") + f"/{DAY}", 404),
    ],
)
def test_payloads_in_the_address_are_not_reflected_as_markup(
    xss: Visitor, path: str, status: int
) -> None:
    page = xss.browser.new_page()
    page.set_default_timeout(10_000)
    xss.opened.append(page)
    seen = watch(page)
    response = page.goto(xss.origin + path)
    assert response is not None and response.status == status
    if status != 200:  # Chromium logs the page's own error status; nothing else may fail
        failed = f"the server responded with a status of {status}"
        seen.errors = [e for e in seen.errors if failed not in e]
    assert_clean(page, seen, xss.origin)
    query = parse_qs(urlsplit(path).query)
    if status == 200 and "q" in query:
        assert page.locator("input[name=q]").input_value() == query["q"][0]
        assert page.title() == f"Search: {query['q'][0]}"


def test_the_static_export_runs_nothing_either(browser: Browser, planted: Planted) -> None:
    pages = sorted(planted.export.rglob("*.html"))
    names = {p.relative_to(planted.export).as_posix() for p in pages}
    assert {"index.html", "overview.html", f"digests/{XSS_PROFILE}/{DAY}.html"} <= names
    assert f"digests/{XSS_PROFILE}/{DAY}/email.html" in names
    stories = [p for p in pages if p.parent.name == "stories"]
    assert stories
    tab = browser.new_page(viewport={"width": 1000, "height": 900})
    seen = watch(tab)
    in_timelines: list[str] = []
    try:
        for path in pages:
            tab.goto(path.as_uri())
            assert_clean(tab, seen, "file://")  # file:///…
            for title in headlines(tab):
                assert title in TITLES, (path, title)
            if path in stories:
                in_timelines += headlines(tab.locator("ol.timeline"))
            # every link inside the export leads to a file of the export
            for href in tab.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
                if href.startswith("file://"):
                    target = Path(unquote(urlsplit(href).path))
                    assert target.is_file(), f"{path.name}: broken link {href}"
    finally:
        tab.close()
    assert sorted(in_timelines) == sorted(TITLES)
