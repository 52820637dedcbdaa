"""Where a webhook may point: public http(s) targets only, checked at save and again at delivery.

A subscription URL is chosen by a tenant admin but fetched by our worker from inside our
network, so without this check it would be a way to reach the metadata service, the database
or anything else listening on a private address. Every address the name resolves to is checked
(one bad A record is enough to refuse), and delivery connects to the address that was checked
rather than resolving again, so a DNS answer that changes between check and connect (rebinding)
cannot redirect the request.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

SCHEMES = {"http": 80, "https": 443}


class UnsafeTarget(ValueError):
    """The URL is malformed, uses another scheme, or resolves to an address we refuse."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # as in the URL (brackets stripped): the Host header and the TLS name to verify
    port: int
    path: str  # path and query, never logged: chat webhook URLs carry their secret there
    addresses: tuple[str, ...]  # checked addresses, in resolver order


def private_allowed() -> bool:
    return bool(getattr(settings, "TIERLINE", {}).get("WEBHOOK_ALLOW_PRIVATE", False))


def refusal(address: str) -> str | None:
    """Why this address is not a public unicast one, or None if it is."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    except ValueError:
        return "not an IP address"
    candidates = [ip]
    if ip.version == 6:
        # IPv4 embedded in IPv6 reaches the IPv4 host: ::ffff:127.0.0.1 is loopback.
        candidates += [v4 for v4 in (ip.ipv4_mapped, ip.sixtofour, (ip.teredo or (None, None))[1]) if v4]
    for candidate in candidates:
        # Most specific first: 127/8 and 169.254/16 are "private" too, but say what they are.
        for kind in ("loopback", "link_local", "unspecified", "multicast", "reserved", "private"):
            if getattr(candidate, f"is_{kind}"):
                return f"{kind.replace('_', '-')} address {candidate}"
        if not candidate.is_global:
            return f"non-public address {candidate}"  # e.g. 100.64.0.0/10 carrier-grade NAT
    return None


def _split(url: str) -> tuple[str, str, int, str]:
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise UnsafeTarget(f"malformed URL: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise UnsafeTarget("the URL must start with http:// or https://")
    if not parts.hostname:
        raise UnsafeTarget("the URL has no host")
    if parts.username is not None or parts.password is not None:
        raise UnsafeTarget("credentials in the URL are not supported; use the signing secret")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return scheme, parts.hostname, port or SCHEMES[scheme], path


def _resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeTarget(f"cannot resolve {host}: {exc}") from None
    addresses = []
    for _family, _type, _proto, _name, sockaddr in infos:
        if sockaddr[0] not in addresses:
            addresses.append(sockaddr[0])
    if not addresses:
        raise UnsafeTarget(f"{host} has no addresses")
    return addresses


def check_url(url: str) -> Target:
    """Parse, resolve and check a webhook URL; raise UnsafeTarget or return what to connect to."""
    scheme, host, port, path = _split(url)
    addresses = _resolve(host, port)
    if not private_allowed():
        for address in addresses:
            reason = refusal(address)
            if reason:
                raise UnsafeTarget(f"{host} resolves to a {reason}; webhooks may only target public addresses")
    return Target(scheme, host, port, path, tuple(addresses))


def host_of(url: str) -> str:
    """The host alone, for messages and logs (the rest of a chat webhook URL is a credential)."""
    try:
        return urlsplit(url).hostname or "?"
    except ValueError:
        return "?"
