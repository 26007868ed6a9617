"""ReliefWeb API sources: the JSON answer read into RawItems, paging by `links.next` up to the
page cap, errors naming the field, and a reliefweb source fetched end to end by the CLI. Saved
answers (tests/data/reliefweb, invented content in the API's structure) are served on loopback."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from digest.config import FetchConfig
from digest.errors import ParseError
from digest.sources.http import FetchPolicy, make_client
from digest.sources.reliefweb import fetch_reliefweb, next_page_url, parse_reliefweb
from digest.types import Fetched, NotModified

from .conftest import REPO, Route, ScriptedServer
from .test_cli import config_for, digest
from .test_http import LOOPBACK

DATA = REPO / "tests" / "data" / "reliefweb"
PAGE_1 = (DATA / "reports-page-1.json").read_bytes()
PAGE_2 = (DATA / "reports-page-2.json").read_bytes()
API = "https://api.reliefweb.int"
QUERY = (
    "/v2/reports?appname=digest-test&filter[field]=primary_country.iso3&filter[value]=lbn"
    "&sort[]=date.created:desc&limit=2&profile=full"
)


def answer(body: bytes, etag: str | None = None) -> Route:
    """A JSON route; with an ETag it answers a matching If-None-Match with 304."""

    def route(handler: BaseHTTPRequestHandler) -> None:
        if etag and handler.headers.get("If-None-Match") == etag:
            handler.send_response(304)
            handler.send_header("ETag", etag)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json; charset=utf-8")
        if etag:
            handler.send_header("ETag", etag)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return route


def on(server: ScriptedServer, body: bytes) -> bytes:
    """A saved answer whose links point at the loopback server instead of the real API."""
    return body.replace(API.encode(), server.url("").encode())


def third_page(server: ScriptedServer) -> bytes:
    """Page 2 moved on by one page: one report new, one repeated from page 2 (offset paging
    over a growing list repeats items), and a next link to a fourth page."""
    body = json.loads(on(server, PAGE_2))
    body["links"]["next"]["href"] = server.url(QUERY + "&offset=6")
    body["data"][0]["id"] = "4899900"
    return json.dumps(body).encode()


def serve_pages(server: ScriptedServer, etag: str | None = None) -> None:
    server.routes[QUERY] = answer(on(server, PAGE_1), etag)
    server.routes[QUERY + "&offset=2"] = answer(on(server, PAGE_2))
    server.routes[QUERY + "&offset=4"] = answer(third_page(server))
    server.routes[QUERY + "&offset=6"] = answer(on(server, PAGE_2))


def run_fetch(url: str, etag: str | None = None, **options: Any) -> Fetched | NotModified:
    async def run() -> Fetched | NotModified:
        async with make_client(FetchConfig(), allowed=LOOPBACK) as client:
            policy = FetchPolicy(backoff_s=0.01, retries=0)
            return await fetch_reliefweb(client, url, etag, None, policy, **options)

    return asyncio.run(run())


def test_parsing_maps_ids_urls_dates_bodies_and_languages() -> None:
    first = parse_reliefweb(PAGE_1)
    assert first.title == "ReliefWeb"
    flash, water = first.items
    assert flash.guid == "reliefweb:4900012"
    assert flash.url is not None and flash.url.startswith("https://reliefweb.int/report/lebanon/")
    assert flash.title.startswith("Lebanon: Flash Update No. 7")
    assert flash.summary_html.startswith("<h3>Key points</h3>")  # body-html wins over body
    assert "Nabatieh &amp; Tyre" in flash.summary_html
    assert flash.published == datetime(2026, 3, 24, 8, 30, tzinfo=UTC)  # date.original, +02:00
    assert flash.published is not None and flash.published.tzinfo is UTC
    assert flash.language == "en"
    assert water.guid == "reliefweb:4900007"
    assert water.url == "https://reliefweb.int/node/4900007"  # no url_alias: the node URL
    assert water.summary_html == (
        "<p>Des coupures d'électricité privent trois stations de pompage de Baalbek"
        " d'alimentation.</p><p>Les partenaires ont acheminé de l'eau par camion-citerne vers"
        " &lt;12&gt; sites.</p>"
    )  # plain body: escaped, one paragraph per blank-line block
    assert water.published == datetime(2026, 3, 23, 16, 5, tzinfo=UTC)  # no original: created
    assert water.language == "fr"
    health, roads = parse_reliefweb(PAGE_2).items
    assert health.published == datetime(2026, 3, 23, 0, 30, tzinfo=UTC)  # -01:00 to UTC
    assert roads.published == datetime(2026, 3, 22, 12, 0, tzinfo=UTC)  # "Z"
    assert roads.language == "ar" and "الخيام" in roads.summary_html


def test_optional_fields_may_be_missing_or_odd() -> None:
    report = {
        "id": 17,
        "fields": {
            "title": "Untitled",
            "date": {"original": "last Tuesday", "created": "2026-03-20T10:00:00"},
            "language": [{"code": "ot"}],
        },
    }
    bare = {"id": "18", "fields": {"title": "Bare"}}
    first, second = parse_reliefweb(json.dumps({"data": [report, bare]}).encode()).items
    assert first.guid == "reliefweb:17" and first.url is None and first.summary_html == ""
    # an unreadable original falls back to created; no offset is read as UTC
    assert first.published == datetime(2026, 3, 20, 10, 0, tzinfo=UTC)
    assert first.language is None  # ReliefWeb's "ot" (other) is no language code
    assert second.published is None and second.language is None
    assert parse_reliefweb(b'{"totalCount": 0, "count": 0, "data": []}').items == ()


def test_malformed_json_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="not a ReliefWeb API response"):
        parse_reliefweb(PAGE_1[:-40])
    with pytest.raises(ParseError, match="not a ReliefWeb API response"):
        parse_reliefweb(b"\xff\xfe not utf-8")


@pytest.mark.parametrize(
    ("damage", "named"),
    [
        (lambda body: body["data"][1]["fields"].pop("title"), r"report 1: fields\.title"),
        (lambda body: body["data"][0].pop("id"), r"report 0: id"),
        (lambda body: body["data"][0].pop("fields"), r"report 0: fields"),
        (lambda body: body["data"][0]["fields"].update(source="OCHA"), r"report 0: fields\.source"),
    ],
)
def test_a_report_of_the_wrong_shape_is_left_out_and_named(damage: Any, named: str) -> None:
    """One report the schema does not fit costs only itself, not the whole answer."""
    body = json.loads(PAGE_1)
    damage(body)
    parsed = parse_reliefweb(json.dumps(body).encode())
    assert len(parsed.items) == len(body["data"]) - 1
    assert re.search(
        f"1 report\\(s\\) left out, unreadable \\(the first, {named}", parsed.problem or ""
    )


@pytest.mark.parametrize(
    ("damage", "named"),
    [
        (lambda body: body.pop("data"), r"data: Field required"),
        (lambda body: body.update(data={"0": {}}), r"data: Input should be a valid list"),
    ],
)
def test_an_answer_of_the_wrong_shape_is_a_parse_error_naming_the_field(
    damage: Any, named: str
) -> None:
    body = json.loads(PAGE_1)
    damage(body)
    with pytest.raises(ParseError, match=f"invalid ReliefWeb API response: {named}"):
        parse_reliefweb(json.dumps(body).encode())


def test_a_report_without_dates_is_read_undated() -> None:
    report = {"id": 19, "fields": {"title": "No dates", "date": None}}
    (item,) = parse_reliefweb(json.dumps({"data": [report]}).encode()).items
    assert item.published is None


def test_next_page_url_stays_on_the_origin() -> None:
    base = API + QUERY
    assert next_page_url(PAGE_1, base) == base + "&offset=2"
    relative = json.dumps({"links": {"next": {"href": "/v2/reports?offset=50"}}}).encode()
    assert next_page_url(relative, base) == API + "/v2/reports?offset=50"
    for href in ("https://elsewhere.example/v2/reports", "http://api.reliefweb.int/v2/reports"):
        other = json.dumps({"links": {"next": {"href": href}}}).encode()
        assert next_page_url(other, base) is None
    assert next_page_url(b'{"links": {"next": {"href": "javascript:alert(1)"}}}', base) is None
    assert next_page_url(b'{"links": {"self": {"href": "x"}}, "data": []}', base) is None
    assert next_page_url(b'{"links": {"next": null}}', base) is None
    assert next_page_url(b"not json", base) is None


def test_paging_follows_links_next_and_stops_at_the_page_cap(server: ScriptedServer) -> None:
    serve_pages(server)
    result = run_fetch(server.url(QUERY))
    assert isinstance(result, Fetched)
    parsed = parse_reliefweb(result.content)
    assert [item.guid for item in parsed.items] == [
        "reliefweb:4900012",
        "reliefweb:4900007",
        "reliefweb:4899950",
        "reliefweb:4899921",
        "reliefweb:4899900",  # page 3: its repeat of 4899921 is dropped
    ]
    assert json.loads(result.content)["count"] == 5
    assert [server.hits.get(QUERY + f"&offset={n}") for n in (2, 4, 6)] == [1, 1, None]
    assert server.hits[QUERY] == 1

    server.hits.clear()
    two = run_fetch(server.url(QUERY), max_pages=2)
    assert isinstance(two, Fetched) and len(parse_reliefweb(two.content).items) == 4
    assert QUERY + "&offset=4" not in server.hits
    one = run_fetch(server.url(QUERY), max_pages=1)
    assert isinstance(one, Fetched) and len(parse_reliefweb(one.content).items) == 2


def test_conditional_get_applies_to_the_first_page(server: ScriptedServer) -> None:
    serve_pages(server, etag='"v1"')
    first = run_fetch(server.url(QUERY))
    assert isinstance(first, Fetched) and first.etag == '"v1"'
    server.hits.clear()
    assert isinstance(run_fetch(server.url(QUERY), etag='"v1"'), NotModified)
    assert server.hits == {QUERY: 1}  # no further page is asked for


def test_a_failing_later_page_keeps_earlier_pages_and_drops_the_validators(
    server: ScriptedServer,
) -> None:
    server.routes[QUERY] = answer(on(server, PAGE_1), etag='"v1"')
    # no route for offset=2: a 404
    result = run_fetch(server.url(QUERY))
    assert isinstance(result, Fetched) and len(parse_reliefweb(result.content).items) == 2
    assert result.etag is None  # the next poll reads every page again, not a 304
    server.routes[QUERY + "&offset=2"] = answer(b"<html>maintenance</html>")
    result = run_fetch(server.url(QUERY))
    assert isinstance(result, Fetched) and len(parse_reliefweb(result.content).items) == 2
    assert result.etag is None


def test_pages_together_stay_within_max_bytes(server: ScriptedServer) -> None:
    serve_pages(server)

    async def run() -> Fetched | NotModified:
        async with make_client(FetchConfig(), allowed=LOOPBACK) as client:
            policy = FetchPolicy(max_bytes=len(PAGE_1) + 500, retries=0)
            return await fetch_reliefweb(client, server.url(QUERY), policy=policy)

    result = asyncio.run(run())
    assert isinstance(result, Fetched) and len(parse_reliefweb(result.content).items) == 2


def test_links_to_another_host_are_not_followed(server: ScriptedServer) -> None:
    server.routes[QUERY] = answer(PAGE_1)  # links still name api.reliefweb.int
    result = run_fetch(server.url(QUERY))
    assert isinstance(result, Fetched) and len(parse_reliefweb(result.content).items) == 2
    assert server.hits == {QUERY: 1}


def test_a_first_page_that_is_not_json_reaches_the_parser_unchanged(
    server: ScriptedServer,
) -> None:
    server.routes[QUERY] = answer(b"<html>Access denied</html>")
    result = run_fetch(server.url(QUERY))
    assert isinstance(result, Fetched) and result.content == b"<html>Access denied</html>"
    with pytest.raises(ParseError, match="not a ReliefWeb API response"):
        parse_reliefweb(result.content)


def test_cli_fetch_stores_reliefweb_reports(tmp_path: Path, server: ScriptedServer) -> None:
    serve_pages(server)
    source = (
        f'\n[[sources]]\nname = "ReliefWeb: Lebanon"\nurl = "{server.url(QUERY)}"\n'
        'kind = "reliefweb"\n'
    )
    path = config_for(tmp_path, [], extra=source)
    done = digest("--config", str(path), "fetch", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "ReliefWeb: Lebanon: updated (5 new" in done.stdout
    listed = json.loads(
        digest("--config", str(path), "sources", "list", "--json", cwd=tmp_path).stdout
    )
    (entry,) = listed
    assert entry["kind"] == "reliefweb" and entry["items"] == 5
    assert entry["last_success"] and not entry["last_error"]
    again = digest("--config", str(path), "fetch", "--all", cwd=tmp_path)
    assert again.returncode == 0 and "0 new items" in again.stdout

    server.routes[QUERY] = answer(b'{"data": [{"id": "1", "fields": {}}]}')
    broken = digest("--config", str(path), "fetch", "--all", cwd=tmp_path)
    assert broken.returncode == 0, broken.stderr
    listed = json.loads(
        digest("--config", str(path), "sources", "list", "--json", cwd=tmp_path).stdout
    )
    assert "report 0: fields.title: Field required" in listed[0]["last_error"]
