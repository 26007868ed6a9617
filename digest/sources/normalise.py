"""RawItem -> Item: canonical URL, stable id, plain text to analyse, sanitised HTML to show."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from html import escape, unescape
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import nh3

from digest.sources.dates import EARLIEST_YEAR
from digest.text import fold_plain, whole
from digest.types import Item, RawItem

FUTURE_SLACK = timedelta(hours=1)
MAX_TAGS = 5_000
TRACKING_PARAMS = frozenset(
    {"fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid", "ref", "ref_src", "cmpid"}
)
_BLOCKS = frozenset(
    {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "tr", "blockquote"}
)
_SKIPPED = frozenset({"script", "style", "noscript", "template", "iframe", "object"})


def canonical_url(url: str) -> str | None:
    """Lower-case scheme and host, no fragment, no utm_* or click-tracking parameters; None for
    anything but an http(s) URL (a javascript: link from a feed must never become a link)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    query = [
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if not key.lower().startswith("utm_") and key.lower() not in TRACKING_PARAMS
    ]
    return urlunsplit(
        (parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", urlencode(query), "")
    )


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self._skipping += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Readable plain text of an HTML fragment: paragraphs on their own lines, spaces collapsed."""
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    lines = (" ".join(line.split()) for line in "".join(extractor.parts).splitlines())
    return "\n".join(line for line in lines if line)


def sanitise_html(html: str) -> str:
    """HTML safe to show: nh3's allow-list, links made inert to the opener. A summary of more
    than MAX_TAGS tags (no real one has as many) is shown as its text: nh3's time grows with
    the square of the nesting depth, and 40,000 nested tags took it 6 s, on the poll's loop."""
    if html.count("<") > MAX_TAGS:
        return escape(html_to_text(html))
    return nh3.clean(html, link_rel="noopener noreferrer nofollow")


def item_id(source: str, key: str) -> str:
    return hashlib.sha256(f"{source}\x1f{key}".encode()).hexdigest()[:24]


def content_hash(title: str, text: str) -> str:
    normal = " ".join(fold_plain(f"{title}\n{text}").split())
    return hashlib.sha256(normal.encode()).hexdigest()


def normalise(
    raw: RawItem, source: str, fetched: datetime, lang_hint: str | None, key: str | None = None
) -> Item:
    """`key` overrides the identity (see identity_keys); a date in the future is taken as the
    time of fetching, so a wrong clock at the publisher cannot pin an item to the top, and so
    is a date before EARLIEST_YEAR (a placeholder, not news)."""
    raw = replace(
        raw,
        guid=whole(raw.guid) if raw.guid else raw.guid,
        url=whole(raw.url) if raw.url else raw.url,
        title=whole(raw.title),
        summary_html=whole(raw.summary_html),
    )
    url = canonical_url(raw.url) if raw.url else None
    title = " ".join(unescape(html_to_text(raw.title)).split())
    text = html_to_text(raw.summary_html)
    published = raw.published
    if published is None or published.year < EARLIEST_YEAR or published > fetched + FUTURE_SLACK:
        published = fetched
    digest = content_hash(title, text)
    return Item(
        id=item_id(source, key or raw.guid or url or f"{title}\x1f{digest}"),
        source=source,
        guid=raw.guid,
        url=url,
        title=title,
        text=text,
        summary_html=sanitise_html(raw.summary_html),
        lang_hint=raw.language or lang_hint,
        published=published.astimezone(UTC),
        fetched=fetched.astimezone(UTC),
        content_hash=digest,
    )


def identity_keys(items: list[RawItem]) -> list[str | None]:
    """The identity of each item of one fetch: its GUID, unless the feed gives the same GUID to
    several items (some do, to every one), then its link and title."""
    counts = Counter(raw.guid for raw in items if raw.guid)
    keys: list[str | None] = []
    for raw in items:
        if raw.guid and counts[raw.guid] > 1:
            keys.append(f"{raw.guid}\x1f{raw.url or ''}\x1f{raw.title}")
        else:
            keys.append(None)
    return keys
