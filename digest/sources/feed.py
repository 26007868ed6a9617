"""Parsing feed bytes: JSON Feed with pydantic; RSS 0.9x/1.0/2.0 and Atom with lxml when the
document is well-formed (the fast path, digest.sources.xmlfeed), else with feedparser, which
reads broken feeds too.

Parsers are given bytes we fetched, never a URL or a path; a document declaring XML entities is
refused before any parser sees it.
"""

from __future__ import annotations

import calendar
import io
import json
import re
import time
from datetime import UTC, datetime
from html import escape
from typing import Any

import feedparser
from pydantic import BaseModel, ConfigDict, ValidationError

from digest.errors import ParseError
from digest.sources.dates import parse_date
from digest.sources.entries import readable, why
from digest.sources.xmlfeed import parse_xml
from digest.types import ParsedFeed, RawItem

JSON_FEED_PREFIX = "https://jsonfeed.org/version/"
_ENTITY_DECLARATION = re.compile(rb"<!ENTITY", re.IGNORECASE)


_CHARACTER_REFERENCE = re.compile(rb"&#([xX][0-9a-fA-F]+|[0-9]+);")


def _no_surrogate(reference: re.Match[bytes]) -> bytes:
    digits = reference[1]
    code = int(digits[1:], 16) if digits[:1] in b"xX" else int(digits)
    return b"&#xFFFD;" if 0xD800 <= code <= 0xDFFF else reference[0]


def parse_feed(content: bytes, content_type: str | None = None) -> ParsedFeed:
    if _looks_like_json(content):
        return _parse_json_feed(content)
    if _ENTITY_DECLARATION.search(content):
        # feedparser's loose fallback expands entities: a 90 KB feed has reached 1.2 GB
        raise ParseError("refused: the document declares XML entities")
    fast = parse_xml(content)
    if fast is not None:
        return fast
    content_type = _trusted_content_type(content, content_type)
    headers = {"content-type": content_type} if content_type else {}
    # a reference to a lone surrogate (lxml refuses the document for it) made feedparser's
    # loose parser raise, losing every entry of the feed
    content = _CHARACTER_REFERENCE.sub(_no_surrogate, content)
    # A file object, never bytes or str: feedparser reads those as a path or URL and would open
    # a local file or fetch on its own when the body happens to look like one.
    parsed = feedparser.parse(io.BytesIO(content), response_headers=headers, sanitize_html=False)
    version = parsed.get("version") or ""
    if not version and not parsed.entries:
        reason = parsed.get("bozo_exception")
        raise ParseError(f"not a feed{f': {reason}' if reason else ''}")
    feed = parsed.feed
    items = tuple(_entry(entry, feed.get("language")) for entry in parsed.entries)
    problem = parsed.get("bozo_exception") if parsed.get("bozo") else None
    return ParsedFeed(
        title=feed.get("title", ""),
        language=feed.get("language"),
        items=items,
        problem=f"malformed feed, read as far as possible: {problem}" if problem else None,
    )


def _entry(entry: Any, language: str | None) -> RawItem:
    content = entry.get("content") or []
    bodies = [c.get("value", "") for c in content if c.get("value")]
    summary = entry.get("summary", "")
    html = max([summary, *bodies], key=len) if bodies else summary
    moment = entry.get("published_parsed") or entry.get("updated_parsed")
    published = _from_struct(moment) or parse_date(entry.get("published") or entry.get("updated"))
    return RawItem(
        guid=entry.get("id") or None,
        url=entry.get("link") or None,
        title=entry.get("title", ""),
        summary_html=html,
        published=published,
        language=entry.get("language") or language,
    )


_WESTERN_CHARSETS = (
    "iso-8859-1",
    "latin-1",
    "latin1",
    "us-ascii",
    "ascii",
    "windows-1252",
    "cp1252",
)


def _trusted_content_type(content: bytes, content_type: str | None) -> str | None:
    """Servers often label UTF-8 feeds as Latin-1, which turns Arabic into mojibake: when the body
    is valid UTF-8 with non-ASCII bytes, the label's charset is ignored and the document's own
    declaration decides."""
    if not content_type or "charset" not in content_type.lower():
        return content_type
    charset = content_type.lower().split("charset=", 1)[1].split(";")[0].strip(" \"'")
    if charset not in _WESTERN_CHARSETS or content.isascii():
        return content_type
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return content_type
    return content_type.split(";", 1)[0]


def _from_struct(moment: time.struct_time | None) -> datetime | None:
    if moment is None:
        return None
    return datetime.fromtimestamp(calendar.timegm(moment), UTC)


def _looks_like_json(content: bytes) -> bool:
    return content.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{")


class _JsonItem(BaseModel):
    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)
    id: str | int
    url: str | None = None
    title: str | None = None
    content_html: str | None = None
    content_text: str | None = None
    summary: str | None = None
    date_published: str | None = None
    date_modified: str | None = None
    language: str | None = None


class _JsonFeed(BaseModel):
    model_config = ConfigDict(extra="ignore")
    version: str
    title: str = ""
    language: str | None = None
    items: list[Any]  # read one by one (digest.sources.entries)


def _parse_json_feed(content: bytes) -> ParsedFeed:
    try:
        data = json.loads(content.decode("utf-8-sig"))
        feed = _JsonFeed.model_validate(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ParseError(f"not a JSON feed: {exc}") from None
    except ValidationError as exc:
        raise ParseError(f"invalid JSON Feed: {why(exc)}") from None
    if not feed.version.startswith(JSON_FEED_PREFIX):
        raise ParseError(f"not a JSON Feed version: {feed.version!r}")
    entries, problem = readable(_JsonItem, feed.items, "item")
    items = []
    for item in entries:
        html = item.content_html or escape(item.content_text or item.summary or "")
        items.append(
            RawItem(
                guid=str(item.id),
                url=item.url,
                title=item.title or "",
                summary_html=html,
                published=parse_date(item.date_published) or parse_date(item.date_modified),
                language=item.language or feed.language,
            )
        )
    return ParsedFeed(feed.title, feed.language, tuple(items), problem)
