"""Fetching a source over HTTP with conditional GET and a size cap, through one shared client."""

from __future__ import annotations

import httpx

from digest.config import FetchConfig
from digest.errors import FetchError
from digest.sources.bundled import SCHEME, BundledTransport
from digest.types import Fetched, NotModified

MAX_REDIRECTS = 5


def make_client(config: FetchConfig) -> httpx.AsyncClient:
    """The one client every fetch of a run shares (connection pooling, limits, User-Agent)."""
    return httpx.AsyncClient(
        headers={
            "User-Agent": f"{config.user_agent} (+{config.contact_url})",
            "Accept": "application/rss+xml, application/atom+xml, application/feed+json, "
            "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5",
        },
        timeout=httpx.Timeout(config.timeout_s),
        limits=httpx.Limits(max_connections=config.concurrency),
        follow_redirects=True,
        max_redirects=MAX_REDIRECTS,
        mounts={f"{SCHEME}://": BundledTransport()},
    )


async def fetch(
    client: httpx.AsyncClient,
    url: str,
    etag: str | None = None,
    last_modified: str | None = None,
    max_bytes: int = 10_000_000,
) -> Fetched | NotModified:
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    try:
        async with client.stream("GET", url, headers=headers) as response:
            if response.status_code == 304:
                return NotModified(url)
            if response.status_code >= 400:
                raise FetchError(f"HTTP {response.status_code} {response.reason_phrase}".strip())
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > max_bytes:
                    raise FetchError(f"body larger than fetch.max_bytes ({max_bytes} bytes)")
            permanent = any(r.status_code in (301, 308) for r in response.history)
            return Fetched(
                url=url,
                content=bytes(body),
                content_type=response.headers.get("content-type"),
                etag=response.headers.get("etag"),
                last_modified=response.headers.get("last-modified"),
                final_url=str(response.url),
                permanent_redirect=permanent,
            )
    except httpx.InvalidURL as exc:
        raise FetchError(f"invalid URL: {exc}") from None
    except httpx.TooManyRedirects:
        raise FetchError(f"more than {MAX_REDIRECTS} redirects") from None
    except httpx.TimeoutException:
        raise FetchError("timed out") from None
    except httpx.HTTPError as exc:
        raise FetchError(f"{type(exc).__name__}: {exc}") from None
