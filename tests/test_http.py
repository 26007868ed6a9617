"""The fetch layer against a real HTTP server on loopback: conditional GET, redirects, 410,
retries and Retry-After, size caps on decompressed bytes, deadlines, and the SSRF guard."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import ipaddress
import shutil
import socket
import ssl
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
import trustme

from digest.config import FetchConfig
from digest.errors import FetchError
from digest.sources import http
from digest.sources.guard import forbidden
from digest.sources.http import FetchPolicy, Gone, TransientError, fetch, make_client, retry_after
from digest.types import Fetched, NotModified

from .conftest import DEMO_FEEDS, FeedServer, ScriptedServer, reply

LOOPBACK = [ipaddress.ip_network("127.0.0.1/32")]
FEED = (DEMO_FEEDS / "cedar-wire.rss.xml").read_bytes()


def get(
    url: str,
    etag: str | None = None,
    policy: FetchPolicy | None = None,
    config: FetchConfig | None = None,
) -> Fetched | NotModified:
    async def run() -> Fetched | NotModified:
        async with make_client(config or FetchConfig(), allowed=LOOPBACK) as client:
            return await fetch(client, url, etag, None, policy or FetchPolicy(backoff_s=0.01))

    return asyncio.run(run())


def test_fetch_then_conditional_get_costs_a_304(feed_server: FeedServer) -> None:
    shutil.copy(DEMO_FEEDS / "cedar-wire.rss.xml", feed_server.root / "feed.xml")
    first = get(feed_server.url("feed.xml"))
    assert isinstance(first, Fetched) and first.content == FEED and first.etag
    assert isinstance(get(feed_server.url("feed.xml"), etag=first.etag), NotModified)


def test_user_agent_names_the_project_and_asks_only_for_codings_we_bound(
    server: ScriptedServer,
) -> None:
    seen: dict[str, str] = {}

    def route(handler: BaseHTTPRequestHandler) -> None:
        seen.update(handler.headers.items())
        reply(200, FEED)(handler)

    server.routes["/f"] = route
    get(server.url("/f"))
    assert seen["User-Agent"].startswith("digest/") and "+https://" in seen["User-Agent"]
    assert seen["Accept-Encoding"] == "gzip, deflate"


def test_permanent_redirects_move_the_source_and_temporary_ones_do_not(
    server: ScriptedServer,
) -> None:
    server.routes["/old"] = reply(301, Location="/new")
    server.routes["/new"] = reply(308, Location="/newest")
    server.routes["/newest"] = reply(200, FEED)
    server.routes["/temp"] = reply(302, Location="/newest")
    moved = get(server.url("/old"))
    assert isinstance(moved, Fetched) and moved.permanent_redirect
    assert moved.final_url == server.url("/newest")
    temporary = get(server.url("/temp"))
    assert isinstance(temporary, Fetched) and not temporary.permanent_redirect


def test_redirect_loops_and_long_chains_stop(server: ScriptedServer) -> None:
    server.routes["/a"] = reply(302, Location="/b")
    server.routes["/b"] = reply(302, Location="/a")
    with pytest.raises(FetchError, match="redirect loop"):
        get(server.url("/a"))
    for hop in range(7):
        server.routes[f"/hop{hop}"] = reply(302, Location=f"/hop{hop + 1}")
    with pytest.raises(FetchError, match="more than 5 redirects"):
        get(server.url("/hop0"))
    server.routes["/js"] = reply(302, Location="javascript:alert(1)")
    with pytest.raises(FetchError, match=r"refused|invalid URL"):
        get(server.url("/js"))
    server.routes["/ftp"] = reply(302, Location="ftp://127.0.0.1/feed")
    with pytest.raises(FetchError, match="refused: redirect to ftp"):
        get(server.url("/ftp"))


def test_gone_is_its_own_error(server: ScriptedServer) -> None:
    server.routes["/gone"] = reply(410)
    with pytest.raises(Gone):
        get(server.url("/gone"))


def test_server_errors_are_retried_with_backoff(server: ScriptedServer) -> None:
    calls = {"n": 0}

    def flaky(handler: BaseHTTPRequestHandler) -> None:
        calls["n"] += 1
        reply(500 if calls["n"] < 3 else 200, FEED)(handler)

    server.routes["/flaky"] = flaky
    assert isinstance(get(server.url("/flaky")), Fetched)
    assert calls["n"] == 3
    server.routes["/down"] = reply(502)
    with pytest.raises(TransientError, match="HTTP 502"):
        get(server.url("/down"))
    assert server.hits["/down"] == 3  # the first try and two retries
    server.routes["/notfound"] = reply(404)
    with pytest.raises(FetchError, match="HTTP 404"):
        get(server.url("/notfound"))
    assert server.hits["/notfound"] == 1  # a client error is not retried


def test_retry_after_is_honoured(server: ScriptedServer) -> None:
    calls = {"n": 0}

    def throttled(handler: BaseHTTPRequestHandler) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            reply(429, Retry_After="1")(handler)
        else:
            reply(200, FEED)(handler)

    server.routes["/busy"] = throttled
    started = time.perf_counter()
    assert isinstance(get(server.url("/busy")), Fetched)
    assert time.perf_counter() - started >= 1.0
    server.routes["/later"] = reply(503, Retry_After="3600")
    with pytest.raises(TransientError) as caught:
        get(server.url("/later"))
    assert caught.value.retry_after == 3600
    assert server.hits["/later"] == 1  # an hour is waited at the next poll, not now


def test_retry_after_dates() -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 3, 24, 12, 0, tzinfo=UTC)
    assert retry_after("120", now) == 120
    assert retry_after("Tue, 24 Mar 2026 12:01:00 GMT", now) == 60
    assert retry_after("soon", now) is None


def test_a_gzip_bomb_stops_at_the_cap(server: ScriptedServer) -> None:
    bomb = gzip.compress(b"\0" * 60_000_000)
    assert len(bomb) < 100_000
    server.routes["/bomb"] = reply(200, bomb, Content_Encoding="gzip")
    with pytest.raises(FetchError, match="response over 1 MB"):
        get(server.url("/bomb"), policy=FetchPolicy(max_bytes=1_000_000))
    server.routes["/small"] = reply(200, gzip.compress(FEED), Content_Encoding="gzip")
    small = get(server.url("/small"))
    assert isinstance(small, Fetched) and small.content == FEED
    server.routes["/corrupt"] = reply(200, b"not gzip at all", Content_Encoding="gzip")
    with pytest.raises(FetchError, match="corrupt gzip"):
        get(server.url("/corrupt"))


def test_a_trickling_server_hits_the_deadline(server: ScriptedServer) -> None:
    def trickle(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", "100")
        handler.end_headers()
        for _ in range(100):
            handler.wfile.write(b"x")
            handler.wfile.flush()
            time.sleep(0.1)

    server.routes["/slow"] = trickle
    started = time.perf_counter()
    with pytest.raises(TransientError, match=r"timeout after 0\.5 s"):
        get(server.url("/slow"), policy=FetchPolicy(deadline_s=0.5, retries=0))
    assert time.perf_counter() - started < 3


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "100.64.0.1",
        "169.254.169.254",
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "::1",
        "::ffff:127.0.0.1",
        "fe80::1",
        "fc00::1",
    ],
)
def test_the_guard_refuses_non_public_addresses(address: str) -> None:
    assert forbidden(ipaddress.ip_address(address))


def test_public_addresses_pass() -> None:
    assert forbidden(ipaddress.ip_address("93.184.216.34")) is None
    assert forbidden(ipaddress.ip_address("2606:4700::1")) is None


def test_the_guard_works_at_connect_time_on_every_spelling_and_hop(
    server: ScriptedServer,
) -> None:
    server.routes["/f"] = reply(200, FEED)
    port = server.httpd.server_address[1]

    async def guarded(url: str) -> Fetched | NotModified:
        async with make_client(FetchConfig()) as client:  # no allow-list: loopback refused
            return await fetch(client, url, policy=FetchPolicy(retries=0))

    for spelling in ("127.0.0.1", "2130706433", "0x7f.1", "localhost", "[::ffff:127.0.0.1]"):
        with pytest.raises(FetchError, match="refused"):
            asyncio.run(guarded(f"http://{spelling}:{port}/f"))
    assert "/f" not in server.hits
    # a public first hop redirecting to loopback is refused at the second hop: here the first
    # hop is allowed by the allow-list, the second (another loopback address) is not
    server.routes["/to-inside"] = reply(302, Location=f"http://127.0.0.2:{port}/f")
    with pytest.raises(FetchError, match=r"refused: loopback address 127\.0\.0\.2"):
        get(server.url("/to-inside"), policy=FetchPolicy(retries=0))


def test_the_guard_tries_every_address_of_a_name_in_turn(
    server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A name with an IPv6 address first, fetched from where that address cannot be reached
    (no IPv6 route; here, nothing listens on it), is fetched from its IPv4 address; before,
    only the first was tried, and every attempt failed."""
    server.routes["/f"] = reply(200, FEED)
    port = server.httpd.server_address[1]
    resolve = socket.getaddrinfo

    def dual(host: str, *args: Any, **kwargs: Any) -> list[Any]:
        if host != "dual.test":
            return resolve(host, *args, **kwargs)
        return [
            (socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("::1", port, 0, 0)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", dual)
    allowed = [ipaddress.ip_network("127.0.0.1/32"), ipaddress.ip_network("::1/128")]

    async def run() -> Fetched | NotModified:
        async with make_client(FetchConfig(), allowed=allowed) as client:
            return await fetch(client, f"http://dual.test:{port}/f", policy=FetchPolicy(retries=0))

    assert isinstance(asyncio.run(run()), Fetched)


def test_private_networks_can_be_allowed(server: ScriptedServer) -> None:
    server.routes["/f"] = reply(200, FEED)

    async def run() -> Fetched | NotModified:
        async with make_client(FetchConfig(allow_private_networks=True)) as client:
            return await fetch(client, server.url("/f"))

    assert isinstance(asyncio.run(run()), Fetched)


def test_tls_certificates_are_verified_through_the_guard(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "feed.xml").write_bytes(FEED)
    ca = trustme.CA()
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(tls)
    server = FeedServer(tmp_path)
    server.httpd.socket = tls.wrap_socket(server.httpd.socket, server_side=True)
    server.thread.start()
    url = server.url("feed.xml").replace("http://", "https://")
    try:
        with pytest.raises(TransientError, match="CERTIFICATE_VERIFY_FAILED"):
            get(url, policy=FetchPolicy(retries=0))
        ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
        monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "ca.pem"))
        first = get(url)
        assert isinstance(first, Fetched) and first.content == FEED
        assert isinstance(get(url, etag=first.etag), NotModified)
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()


def test_a_dead_server_is_a_fetch_error() -> None:
    with pytest.raises(FetchError):
        get("http://127.0.0.1:9/feed.xml", policy=FetchPolicy(retries=1, backoff_s=0.01))


def test_bundled_scheme_serves_package_files_only() -> None:
    result = get("bundled://demo/feeds/relief-updates.json")
    assert isinstance(result, Fetched) and result.content.startswith(b"{")
    assert isinstance(get("bundled://demo/feeds/relief-updates.json", result.etag), NotModified)
    with pytest.raises(FetchError, match="404"):
        get("bundled://demo/../../../etc/passwd")


def keepalive_server(ending: str) -> tuple[socket.socket, str, list[int]]:
    """Answers each request on a kept-alive connection, then ends it the way many servers do
    when it sits idle: a 408 and a close, a reset, or (`idle`) only when the client does. The
    list counts the connections made."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    connections: list[int] = []

    def handle(conn: socket.socket) -> None:
        with contextlib.suppress(OSError):  # the client went first
            answer(conn)
        conn.close()

    def answer(conn: socket.socket) -> None:
        stream = conn.makefile("rb")
        while stream.readline():
            while stream.readline() not in (b"\r\n", b""):
                pass
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(FEED) + FEED)
            if ending == "idle":
                continue
            time.sleep(0.3)
            if ending == "408":
                conn.sendall(
                    b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n"
                    b"Content-Length: 0\r\n\r\n"
                )
                conn.shutdown(socket.SHUT_WR)
                time.sleep(1)
            else:
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:  # closed: the test is over
                return
            connections.append(1)
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    return listener, f"http://127.0.0.1:{listener.getsockname()[1]}/feed", connections


def twice(url: str, pause: float) -> tuple[object, object]:
    """Two fetches through one client with a pause between, as the service's polls share it."""

    async def run() -> tuple[object, object]:
        async with make_client(FetchConfig(), allowed=LOOPBACK) as client:
            first = await fetch(client, url, policy=FetchPolicy(retries=0))
            await asyncio.sleep(pause)
            return first, await fetch(client, url, policy=FetchPolicy(retries=0))

    return asyncio.run(run())


@pytest.mark.parametrize("ending", ["408", "reset"])
def test_a_kept_alive_connection_the_server_ended_is_not_used_again(ending: str) -> None:
    listener, url, connections = keepalive_server(ending)
    try:
        first, second = twice(url, 0.8)
    finally:
        listener.close()
    assert isinstance(first, Fetched) and isinstance(second, Fetched)
    assert len(connections) == 2


def test_a_connection_idle_past_the_keepalive_expiry_is_not_used_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One left from the last poll may have been dropped by a NAT on the way, silently: a
    request on it would wait for the whole timeout."""
    monkeypatch.setattr(http, "KEEPALIVE_S", 0.3)
    listener, url, connections = keepalive_server("idle")
    try:
        assert all(isinstance(done, Fetched) for done in twice(url, 0.05))
        assert len(connections) == 1  # kept alive between close requests
        assert all(isinstance(done, Fetched) for done in twice(url, 0.6))
        assert len(connections) == 3  # not past its expiry
    finally:
        listener.close()


@pytest.mark.parametrize("guarded", [True, False])
def test_a_redirect_to_a_host_name_no_dns_can_spell_fails_that_fetch_only(
    server: ScriptedServer, guarded: bool
) -> None:
    server.routes["/evil.xml"] = reply(302, Location="http://" + "a" * 64 + ".example/feed.xml")
    config = FetchConfig(retries=0, allow_private_networks=not guarded)

    async def run() -> None:
        async with make_client(config, allowed=LOOPBACK) as client:
            await fetch(client, server.url("/evil.xml"), policy=FetchPolicy(retries=0))

    with pytest.raises(FetchError) as refused:  # and no UnicodeError out of the poll
        asyncio.run(run())
    if guarded:
        assert "not a valid host name" in str(refused.value)
