"""The SSRF guard: refuse to connect to addresses a public feed has no business pointing at.

The check runs at connect time, on the address the name resolved to, and the connection is made
to that very address: a DNS answer that changes between check and connect (rebinding), or an odd
spelling of an address (`2130706433`, `0x7f.1`, `[::ffff:127.0.0.1]`), cannot slip past it. Every
redirect hop opens a new connection, so every hop is checked.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from typing import Any

import httpcore

from digest.errors import FetchError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT, not "private" to ipaddress


class RefusedAddress(FetchError):
    """The name resolved to an address the guard refuses."""


def forbidden(address: IPAddress) -> str | None:
    """Why an address is refused, or None when it is a public unicast address."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    checks = (
        ("loopback", address.is_loopback),
        ("unspecified", address.is_unspecified),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("shared", isinstance(address, ipaddress.IPv4Address) and address in SHARED),
        ("private", address.is_private),
        ("reserved", address.is_reserved),
    )
    return next((name for name, hit in checks if hit), None)


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, resolving names itself and connecting only to addresses the
    guard allows (or that `allowed` lists, for tests and private deployments)."""

    def __init__(
        self,
        inner: httpcore.AsyncNetworkBackend | None = None,
        allowed: Iterable[ipaddress.IPv4Network | ipaddress.IPv6Network] = (),
    ) -> None:
        self._inner = inner or httpcore.AnyIOBackend()
        self._allowed = tuple(allowed)

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        refused: list[httpcore.ConnectError] = []
        for address in await self._resolve(host, port):
            try:
                return await self._inner.connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
            except httpcore.ConnectError as exc:  # an IPv6 address on a host without IPv6, say
                refused.append(exc)
        raise refused[-1]

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise RefusedAddress("refused: unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)

    async def _resolve(self, host: str, port: int) -> list[IPAddress]:
        """The addresses of the name, in the resolver's order; RefusedAddress if any of them is
        refused (a name a public feed would not have)."""
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )
        except OSError as exc:
            raise FetchError(f"cannot resolve {host}: {exc.strerror or exc}") from None
        except UnicodeError:  # a label over 63 characters, an empty one ("a..b")
            raise FetchError(f"cannot resolve {host}: not a valid host name") from None
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
        for address in addresses:
            reason = forbidden(address)
            if reason and not any(address in network for network in self._allowed):
                raise RefusedAddress(f"refused: {reason} address {address} ({host})")
        return list(dict.fromkeys(addresses))
