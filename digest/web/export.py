"""`digest export-site DIR`: the archive as static files any web server (or a file browser) can
serve. Search needs the server; everything else is here: the calendar, every digest (as a page
and as the email sent), every story, the overview, the districts' trends, the evacuation orders
and the digests' Atom feed."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from digest.web import formats, pages
from digest.web.app import stylesheet
from digest.web.site import Links, Site


def _write(path: Path, text: str, written: list[Path]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    written.append(path)


def export_site(site: Site, out: Path, base_url: str = "") -> list[Path]:
    """Write the archive under `out`; returns the files written, index.html first."""
    written: list[Path] = []
    _write(out / "index.html", pages.index_page(site, Links("", True)), written)
    _write(out / "static" / "archive.css", stylesheet(site), written)
    last = site.reader.latest_story_day() or datetime.now(UTC).date()
    _write(out / "overview.html", pages.overview_page(site, Links("", True), last), written)
    trends = pages.trends_page(site, Links("", True), last, pages.TREND_DAYS, None, 2)
    _write(out / "trends.html", trends, written)
    listed = pages.orders_page(site, Links("", True), last, pages.ORDER_DAYS, None)
    _write(out / "orders.html", listed, written)
    records = site.reader.digests()
    for record in records:
        folder = out / "digests" / record.profile
        html = pages.digest_page(site, Links("../../", True), record.profile, record.day)
        if html is not None:
            _write(folder / f"{record.day}.html", html, written)
        _write(folder / record.day / "email.html", record.html, written)
    for story_id in site.reader.all_story_ids():
        html = pages.story_page(site, Links("../", True), story_id)
        if html is not None:
            _write(out / "stories" / f"{story_id}.html", html, written)
    feed = formats.digests_atom(records[:100], f"{base_url}digests.atom", base_url)
    _write(out / "digests.atom", feed, written)
    return written
