"""ReliefWeb API v2 reports: a `kind = "reliefweb"` source.

The source's URL is an API list query (`https://api.reliefweb.int/v2/reports?appname=…&…`).
Every request goes through the hardened fetch layer (digest.sources.http); this module adds
paging and reads the JSON answer:

- `fetch_reliefweb` fetches the first page (with the conditional-GET validators) and follows
  `links.next.href` for at most `MAX_PAGES` pages in all, on the same origin only, with the
  bytes of all pages together bounded by `max_bytes`; the pages' `data` arrays are joined into
  one JSON body. A later page that fails ends the paging: the pages read so far are kept, and
  the validators dropped so that the next poll reads every page again instead of a 304.
- `parse_reliefweb` validates that body with pydantic and maps each report to a RawItem.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import replace
from html import escape
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from digest.errors import FetchError, ParseError
from digest.sources.dates import parse_date
from digest.sources.entries import readable, why
from digest.sources.http import FetchPolicy, fetch
from digest.types import Fetched, NotModified, ParsedFeed, RawItem

MAX_PAGES = 3
GUID_PREFIX = "reliefweb:"
log = logging.getLogger(__name__)
_LANGUAGE_CODE = re.compile(r"[a-z]{2}")
_OTHER_LANGUAGE = "ot"  # ReliefWeb's code for "Other"


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True, coerce_numbers_to_str=True)


class _Source(_Model):
    name: str | None = None
    shortname: str | None = None


class _Country(_Model):
    iso3: str | None = None
    name: str | None = None


class _Language(_Model):
    code: str | None = None


class _Dates(_Model):
    created: str | None = None
    original: str | None = None


class _Fields(_Model):
    title: str
    url_alias: str | None = None
    url: str | None = None
    body_html: str | None = Field(default=None, alias="body-html")
    body: str | None = None
    date: _Dates | None = None
    source: list[_Source] = Field(default_factory=list)
    primary_country: _Country | None = None
    language: list[_Language] = Field(default_factory=list)


class _Report(_Model):
    id: str | int
    fields: _Fields


class _Response(_Model):
    totalCount: int | None = None  # the API's own spelling
    count: int | None = None
    data: list[Any]  # read one by one (digest.sources.entries)


def parse_reliefweb(content: bytes) -> ParsedFeed:
    """The reports of one ReliefWeb API answer (or of several pages joined by fetch_reliefweb)."""
    try:
        response = _Response.model_validate(json.loads(content.decode("utf-8-sig")))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ParseError(f"not a ReliefWeb API response: {exc}") from None
    except ValidationError as exc:
        raise ParseError(f"invalid ReliefWeb API response: {why(exc)}") from None
    reports, problem = readable(_Report, response.data, "report")
    return ParsedFeed("ReliefWeb", None, tuple(_item(report) for report in reports), problem)


def _item(report: _Report) -> RawItem:
    fields = report.fields
    dates = fields.date or _Dates()
    return RawItem(
        guid=f"{GUID_PREFIX}{report.id}",
        url=fields.url_alias or fields.url,
        title=fields.title,
        summary_html=fields.body_html or _paragraphs(fields.body or ""),
        published=parse_date(dates.original) or parse_date(dates.created),
        language=_language(fields.language),
    )


def _paragraphs(text: str) -> str:
    """Plain text as escaped HTML paragraphs (blank lines separate them)."""
    parts = (p.strip() for p in re.split(r"\n\s*\n", text))
    return "".join(f"<p>{escape(p, quote=False)}</p>" for p in parts if p)


def _language(languages: list[_Language]) -> str | None:
    code = (languages[0].code or "").strip().lower() if languages else ""
    return code if _LANGUAGE_CODE.fullmatch(code) and code != _OTHER_LANGUAGE else None


def next_page_url(content: bytes, base_url: str) -> str | None:
    """`links.next.href` of an answer, resolved against `base_url`; None when there is none, when
    the body is unreadable, or when the link leaves the origin of `base_url` (a response must
    not be able to send us to another host)."""
    try:
        body = json.loads(content.decode("utf-8-sig"))
        href = body["links"]["next"]["href"]
    except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError):
        return None
    if not isinstance(href, str) or not href.strip():
        return None
    try:
        target, base = urlsplit(urljoin(base_url, href.strip())), urlsplit(base_url)
    except ValueError:
        return None
    if target.scheme.lower() not in ("http", "https"):
        return None
    if (target.scheme.lower(), target.netloc.lower()) != (base.scheme.lower(), base.netloc.lower()):
        return None
    return target.geturl()


async def fetch_reliefweb(
    client: httpx.AsyncClient,
    url: str,
    etag: str | None = None,
    last_modified: str | None = None,
    policy: FetchPolicy | None = None,
    max_pages: int = MAX_PAGES,
) -> Fetched | NotModified:
    """The first page as `fetch` gets it, then up to `max_pages - 1` more by `links.next`, joined
    into one body that parse_reliefweb reads. Errors on the first page are raised as `fetch`
    raises them."""
    policy = policy or FetchPolicy()
    first = await fetch(client, url, etag, last_modified, policy)
    if isinstance(first, NotModified):
        return first
    joined = _page(first.content)
    if joined is None:
        return first  # not a ReliefWeb answer: parse_reliefweb says why
    data: list[Any] = []
    seen_ids: set[str] = set()
    _extend(data, seen_ids, joined["data"])
    complete = True
    budget = policy.max_bytes - len(first.content)
    seen_urls = {url, first.final_url}
    page_url, content = first.final_url, first.content
    for number in range(2, max_pages + 1):
        following = next_page_url(content, page_url)
        if following is None or following in seen_urls:
            break
        seen_urls.add(following)
        try:
            if budget <= 0:
                raise FetchError(f"the pages together exceed {policy.max_bytes:,} bytes")
            page = await fetch(client, following, None, None, replace(policy, max_bytes=budget))
            if isinstance(page, NotModified):
                raise FetchError("HTTP 304 without a conditional request")
            body = _page(page.content)
            if body is None:
                raise FetchError("not a ReliefWeb API response")
        except FetchError as exc:
            log.warning(
                "ReliefWeb %s: page %d not read (%s); keeping earlier pages", url, number, exc
            )
            complete = False
            break
        _extend(data, seen_ids, body["data"])
        budget -= len(page.content)
        page_url, content = page.final_url, page.content
    joined.pop("links", None)
    joined.update(count=len(data), data=data)
    return replace(
        first,
        content=json.dumps(joined, ensure_ascii=False).encode("utf-8"),
        content_type="application/json",
        etag=first.etag if complete else None,
        last_modified=first.last_modified if complete else None,
    )


def _page(content: bytes) -> dict[str, Any] | None:
    """A page's JSON object when it has a `data` list, else None."""
    try:
        body = json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(body, dict) or not isinstance(body.get("data"), list):
        return None
    return body


def _extend(data: list[Any], seen: set[str], page: list[Any]) -> None:
    """Append a page's reports, skipping any already read (offset paging over a list that grows
    between two requests repeats the items pushed across the page boundary)."""
    for report in page:
        ident = report.get("id") if isinstance(report, dict) else None
        if ident is not None:
            if str(ident) in seen:
                continue
            seen.add(str(ident))
        data.append(report)
