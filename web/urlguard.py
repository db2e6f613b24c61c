"""Refuse links that would make the bot reach into its own machine or network."""

from __future__ import annotations

import asyncio
import ipaddress
import socket

from yarl import URL

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeURLError(ValueError):
    """A link the bot will not fetch; str(exc) is a short reason."""


async def check_public_url(url: str, *, allow_private: bool = False, trusted_host: str | None = None) -> str:
    """Return `url` normalised (lower-case scheme and host, IDNA, no fragment) if it is a public http(s) link.

    Every address the host resolves to must be public: one private answer is enough to refuse. A link
    to `trusted_host` (a host name or address as host_of gives it, e.g. that of a feed the bot's owner
    configured on their own network) passes whatever its address, on any port.
    """
    try:
        parsed = URL(url.strip())
        port = parsed.port
    except ValueError:
        raise UnsafeURLError("not a valid link") from None
    if parsed.scheme not in ("http", "https"):
        raise UnsafeURLError("only http:// and https:// links are supported")
    host = parsed.raw_host
    if not host:
        raise UnsafeURLError("the link has no host name")
    normalised = str(parsed.with_fragment(None))
    if allow_private or (trusted_host is not None and parsed.host == trusted_host):
        return normalised
    for address in await _addresses(host, port):
        if not _is_public(address):
            raise UnsafeURLError(f"{parsed.host} points to a private or reserved address ({address})")
    return normalised


def host_of(url: str) -> str | None:
    """The host of a link as check_public_url compares it (lower case, IDNA); None without one."""
    try:
        return URL(url.strip()).host or None
    except ValueError:
        return None


async def _addresses(host: str, port: int | None) -> list[IPAddress]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass  # a name, not an address literal
    # RFC 6761: these names are the local machine, whatever a resolver says.
    if host.rstrip(".") == "localhost" or host.rstrip(".").endswith(".localhost"):
        raise UnsafeURLError(f"{host} is this machine")
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise UnsafeURLError(f"cannot resolve host {host}") from None
    # sockaddr[0] may carry an IPv6 zone ("fe80::1%eth0"); the zone is not part of the address.
    return [ipaddress.ip_address(sockaddr[0].split("%", 1)[0]) for *_, sockaddr in infos]


def _is_public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    return address.is_global and not (address.is_multicast or address.is_reserved or address.is_unspecified)
