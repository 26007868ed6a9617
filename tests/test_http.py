from __future__ import annotations

import asyncio
import shutil

import pytest

from digest.config import FetchConfig
from digest.errors import FetchError
from digest.sources.http import fetch, make_client
from digest.types import Fetched, NotModified

from .conftest import DEMO_FEEDS, FeedServer


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


async def get(url: str, etag: str | None = None, max_bytes: int = 10_000_000):  # type: ignore[no-untyped-def]
    async with make_client(FetchConfig()) as client:
        return await fetch(client, url, etag, None, max_bytes)


def test_fetch_then_conditional_get_costs_a_304(feed_server: FeedServer) -> None:
    shutil.copy(DEMO_FEEDS / "cedar-wire.rss.xml", feed_server.root / "feed.xml")
    first = run(get(feed_server.url("feed.xml")))
    assert isinstance(first, Fetched)
    assert first.content == (DEMO_FEEDS / "cedar-wire.rss.xml").read_bytes()
    assert first.etag
    second = run(get(feed_server.url("feed.xml"), etag=first.etag))
    assert isinstance(second, NotModified)


def test_user_agent_names_the_project(feed_server: FeedServer) -> None:
    seen: list[str] = []
    original = feed_server.handler.do_GET

    def spy(handler):  # type: ignore[no-untyped-def]
        seen.append(handler.headers.get("User-Agent"))
        original(handler)

    feed_server.handler.do_GET = spy  # type: ignore[method-assign]
    (feed_server.root / "f.xml").write_text("<rss version='2.0'><channel></channel></rss>")
    run(get(feed_server.url("f.xml")))
    assert seen and seen[0].startswith("digest/") and "+https://" in seen[0]


def test_http_errors_and_size_cap(feed_server: FeedServer) -> None:
    with pytest.raises(FetchError, match="HTTP 404"):
        run(get(feed_server.url("missing.xml")))
    (feed_server.root / "big.xml").write_bytes(b"x" * 50_000)
    with pytest.raises(FetchError, match="max_bytes"):
        run(get(feed_server.url("big.xml"), max_bytes=10_000))


def test_a_dead_server_is_a_fetch_error() -> None:
    with pytest.raises(FetchError):
        run(get("http://127.0.0.1:9/feed.xml"))


def test_bundled_scheme_serves_package_files_only() -> None:
    result = run(get("bundled://demo/feeds/relief-updates.json"))
    assert isinstance(result, Fetched) and result.content.startswith(b"{")
    assert isinstance(
        run(get("bundled://demo/feeds/relief-updates.json", result.etag)), NotModified
    )
    with pytest.raises(FetchError, match="404"):
        run(get("bundled://demo/../../../etc/passwd"))
