"""Fetching one source over HTTP, politely and defensively, through one shared client.

- Conditional GET (ETag, Last-Modified): a 304 costs no parsing.
- An overall deadline per attempt: httpx's timeouts are per read, and a server trickling a byte
  a second never trips them.
- The body is decompressed here, by us, with a hard bound on the decompressed size: a gzip bomb
  stops at `max_bytes`, not after inflating.
- Redirects are followed by hand: at most five, loops detected, only to http(s); the stored URL
  changes only when every hop was permanent (301, 308). A 410 says the source is gone.
- Connection errors, timeouts and 5xx are retried with exponential backoff and jitter; 429 and
  503 honour Retry-After.
- Every connection goes through the SSRF guard (digest.sources.guard) unless
  `fetch.allow_private_networks` is set.
"""

from __future__ import annotations

import asyncio
import random
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from ipaddress import IPv4Network, IPv6Network

import httpcore
import httpx

from digest.config import FetchConfig
from digest.errors import FetchError
from digest.sources.bundled import SCHEME, BundledTransport
from digest.sources.guard import GuardedBackend
from digest.types import Fetched, NotModified

MAX_REDIRECTS = 5
KEEPALIVE_S = 5.0
REDIRECTS = frozenset({301, 302, 303, 307, 308})
PERMANENT = frozenset({301, 308})


class Gone(FetchError):
    """HTTP 410: the publisher removed the feed; the source is disabled."""


class TransientError(FetchError):
    """A failure worth trying again: a connection error, a timeout, a 5xx, a 429."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class FetchPolicy:
    max_bytes: int = 10_000_000
    deadline_s: float = 60.0
    retries: int = 2
    backoff_s: float = 0.5
    longest_wait_s: float = 30.0  # a longer Retry-After is honoured at the next poll instead

    @classmethod
    def from_config(cls, config: FetchConfig) -> FetchPolicy:
        return cls(config.max_bytes, config.deadline_s, config.retries, config.backoff_s)


def make_client(
    config: FetchConfig, allowed: Iterable[IPv4Network | IPv6Network] = ()
) -> httpx.AsyncClient:
    """The one client every fetch of a run shares (connection pooling, limits, User-Agent).
    `allowed` lists networks the SSRF guard lets through even so (tests use loopback)."""
    backend = None if config.allow_private_networks else GuardedBackend(allowed=allowed)
    tls = httpx.create_ssl_context()
    transport = httpx.AsyncHTTPTransport(verify=tls)
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=tls,
        max_connections=config.concurrency,
        max_keepalive_connections=config.concurrency,
        # httpx's own default: a connection idle longer (kept from the last poll) may have been
        # dropped by a NAT or closed by the server, and would cost a timeout or an error
        keepalive_expiry=KEEPALIVE_S,
        network_backend=backend,
    )
    return httpx.AsyncClient(
        headers={
            "User-Agent": f"{config.user_agent} (+{config.contact_url})",
            "Accept": "application/rss+xml, application/atom+xml, application/feed+json, "
            "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5",
            "Accept-Encoding": "gzip, deflate",
        },
        timeout=httpx.Timeout(config.timeout_s),
        follow_redirects=False,
        transport=transport,
        mounts={f"{SCHEME}://": BundledTransport()},
    )


async def fetch(
    client: httpx.AsyncClient,
    url: str,
    etag: str | None = None,
    last_modified: str | None = None,
    policy: FetchPolicy | None = None,
) -> Fetched | NotModified:
    policy = policy or FetchPolicy()
    attempt = 0
    while True:
        try:
            async with asyncio.timeout(policy.deadline_s):
                return await _fetch_once(client, url, etag, last_modified, policy.max_bytes)
        except TimeoutError:
            error = TransientError(f"timeout after {policy.deadline_s:g} s")
        except TransientError as exc:
            error = exc
        if attempt >= policy.retries:
            raise error
        delay = error.retry_after
        if delay is None:
            delay = policy.backoff_s * 2**attempt * (1 + random.random())
        if delay > policy.longest_wait_s:
            raise error
        await asyncio.sleep(delay)
        attempt += 1


async def _fetch_once(
    client: httpx.AsyncClient, url: str, etag: str | None, last_modified: str | None, cap: int
) -> Fetched | NotModified:
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    current, seen, permanent = url, {url}, True
    for _ in range(MAX_REDIRECTS + 1):
        try:
            async with client.stream("GET", current, headers=headers) as response:
                status = response.status_code
                if status in REDIRECTS:
                    current = _next_hop(response, seen)
                    permanent = permanent and status in PERMANENT
                    continue
                _raise_for_status(response)
                if status == 304:
                    return NotModified(url)
                content = await _read_capped(response, cap)
                return Fetched(
                    url=url,
                    content=content,
                    content_type=response.headers.get("content-type"),
                    etag=response.headers.get("etag"),
                    last_modified=response.headers.get("last-modified"),
                    final_url=current,
                    permanent_redirect=permanent and current != url,
                )
        except httpx.InvalidURL as exc:
            raise FetchError(f"invalid URL: {exc}") from None
        except httpx.UnsupportedProtocol:
            raise FetchError(f"not an http(s) URL: {current}") from None
        except httpx.TimeoutException:
            raise TransientError("timeout") from None
        except httpx.TransportError as exc:
            raise TransientError(f"connection failed: {exc or type(exc).__name__}") from None
        except UnicodeError:  # the resolver's refusal of a host name no DNS label can spell
            raise FetchError(f"invalid host name in {current}") from None
    raise FetchError(f"more than {MAX_REDIRECTS} redirects")


def _next_hop(response: httpx.Response, seen: set[str]) -> str:
    location = response.headers.get("location")
    if not location:
        raise FetchError(f"HTTP {response.status_code} without a Location")
    try:
        target = response.url.join(location)
    except httpx.InvalidURL:
        raise FetchError(f"refused: redirect to an invalid URL {location!r}") from None
    if target.scheme not in ("http", "https"):
        raise FetchError(f"refused: redirect to {target.scheme}: URL")
    hop = str(target)
    if hop in seen:
        raise FetchError("redirect loop")
    seen.add(hop)
    return hop


def _raise_for_status(response: httpx.Response) -> None:
    status = response.status_code
    if status == 410:
        raise Gone("HTTP 410 Gone: the publisher removed this feed")
    if status in (429, 503):
        wait = retry_after(response.headers.get("retry-after"), datetime.now(UTC))
        raise TransientError(f"HTTP {status}", wait)
    if status >= 500:
        raise TransientError(f"HTTP {status}")
    if status >= 400:
        raise FetchError(f"HTTP {status} {response.reason_phrase}".strip())


def retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - now).total_seconds())


async def _read_capped(response: httpx.Response, cap: int) -> bytes:
    """The body, decompressed by us with at most `cap` bytes ever held decompressed."""
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    inflater = _inflater(encoding)
    body = bytearray()
    async for raw in response.aiter_raw():
        if inflater is None:
            body += raw
        else:
            data = raw
            while data and len(body) <= cap:
                try:
                    body += inflater.decompress(data, cap - len(body) + 1)
                except zlib.error:
                    raise FetchError(f"corrupt {encoding} body") from None
                data = inflater.unconsumed_tail
        if len(body) > cap:
            raise FetchError(f"response over {_size(cap)}")
    return bytes(body)


def _inflater(encoding: str) -> zlib._Decompress | None:
    if encoding in ("", "identity"):
        return None
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return zlib.decompressobj()
    raise FetchError(f"unsupported Content-Encoding: {encoding}")


def _size(count: int) -> str:
    return f"{count / 1_000_000:g} MB" if count >= 1_000_000 else f"{count:,} bytes"
