"""Parsing feed bytes: RSS 0.9x/1.0/2.0 and Atom with feedparser, JSON Feed with pydantic.

Parsers are given bytes we fetched, never a URL or a path.
"""

from __future__ import annotations

import calendar
import json
import time
from datetime import UTC, datetime
from typing import Any

import feedparser
from pydantic import BaseModel, ConfigDict, ValidationError

from digest.errors import ParseError
from digest.types import ParsedFeed, RawItem

JSON_FEED_PREFIX = "https://jsonfeed.org/version/"


def parse_feed(content: bytes, content_type: str | None = None) -> ParsedFeed:
    if _looks_like_json(content):
        return _parse_json_feed(content)
    headers = {"content-type": content_type} if content_type else {}
    parsed = feedparser.parse(content, response_headers=headers, sanitize_html=False)
    version = parsed.get("version") or ""
    if not version and not parsed.entries:
        reason = parsed.get("bozo_exception")
        raise ParseError(f"not a feed{f': {reason}' if reason else ''}")
    feed = parsed.feed
    items = tuple(_entry(entry, feed.get("language")) for entry in parsed.entries)
    return ParsedFeed(title=feed.get("title", ""), language=feed.get("language"), items=items)


def _entry(entry: Any, language: str | None) -> RawItem:
    content = entry.get("content") or []
    bodies = [c.get("value", "") for c in content if c.get("value")]
    summary = entry.get("summary", "")
    html = max([summary, *bodies], key=len) if bodies else summary
    moment = entry.get("published_parsed") or entry.get("updated_parsed")
    return RawItem(
        guid=entry.get("id") or None,
        url=entry.get("link") or None,
        title=entry.get("title", ""),
        summary_html=html,
        published=_from_struct(moment),
        language=entry.get("language") or language,
    )


def _from_struct(moment: time.struct_time | None) -> datetime | None:
    if moment is None:
        return None
    return datetime.fromtimestamp(calendar.timegm(moment), UTC)


def _looks_like_json(content: bytes) -> bool:
    return content.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{")


class _JsonItem(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str | int
    url: str | None = None
    title: str | None = None
    content_html: str | None = None
    content_text: str | None = None
    summary: str | None = None
    date_published: datetime | None = None
    date_modified: datetime | None = None
    language: str | None = None


class _JsonFeed(BaseModel):
    model_config = ConfigDict(extra="ignore")
    version: str
    title: str = ""
    language: str | None = None
    items: list[_JsonItem]


def _parse_json_feed(content: bytes) -> ParsedFeed:
    try:
        data = json.loads(content.decode("utf-8-sig"))
        feed = _JsonFeed.model_validate(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ParseError(f"not a JSON feed: {exc}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ParseError(f"invalid JSON Feed: {where}: {first['msg']}") from None
    if not feed.version.startswith(JSON_FEED_PREFIX):
        raise ParseError(f"not a JSON Feed version: {feed.version!r}")
    items = []
    for item in feed.items:
        html = item.content_html or _escape_text(item.content_text or item.summary or "")
        moment = item.date_published or item.date_modified
        items.append(
            RawItem(
                guid=str(item.id),
                url=item.url,
                title=item.title or "",
                summary_html=html,
                published=moment.astimezone(UTC) if moment and moment.tzinfo else moment,
                language=item.language or feed.language,
            )
        )
    return ParsedFeed(title=feed.title, language=feed.language, items=tuple(items))


def _escape_text(text: str) -> str:
    from html import escape

    return escape(text)
