"""Which address a request really came from, without trusting what anyone can forge."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from tracking_core.ports import IPAddress

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_ip(text: str) -> IPAddress | None:
    """An address from a header or socket value, or None when it is not one.

    Accepts ``[v6]`` and ``[v6]:port`` and ``v4:port`` as proxies write them, drops IPv6
    zone ids, and turns IPv4-mapped IPv6 (``::ffff:1.2.3.4``) into the IPv4 address.
    """
    text = text.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:  # IPv4 with a port; bare IPv6 has two colons or more
        text = text.partition(":")[0]
    text = text.partition("%")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def parse_networks(specs: Iterable[str]) -> tuple[IPNetwork, ...]:
    """Networks from specs such as ``127.0.0.1``, ``::1`` or ``10.0.0.0/8``; raises ValueError."""
    return tuple(ipaddress.ip_network(spec.strip(), strict=False) for spec in specs if spec.strip())


def client_ip(
    peer: str | None, forwarded_for: str | None, trusted_proxies: tuple[IPNetwork, ...]
) -> IPAddress | None:
    """The client's address.

    ``X-Forwarded-For`` is read only when the connection itself comes from a trusted proxy.
    Walking it from the right, each trusted proxy vouches for the hop before it; the first
    address that is not a trusted proxy is the client. A malformed entry ends the walk, since
    nothing to its left can be vouched for: the last address known good is returned instead.
    """
    address = parse_ip(peer) if peer else None
    if address is None or not forwarded_for or not is_trusted_proxy(address, trusted_proxies):
        return address
    for entry in reversed(forwarded_for.split(",")):
        hop = parse_ip(entry)
        if hop is None:
            return address
        address = hop
        if not is_trusted_proxy(hop, trusted_proxies):
            return hop
    return address


def is_trusted_proxy(address: IPAddress, trusted: tuple[IPNetwork, ...]) -> bool:
    return any(address.version == net.version and address in net for net in trusted)


#: How much of an address is kept once its location is known: the network, not the host.
IPV4_KEPT_PREFIX = 24
IPV6_KEPT_PREFIX = 48


def network_of(ip: IPAddress) -> str:
    """The address with its host part zeroed: IPv4 to /24, IPv6 to /48 ("203.0.113.0").

    A /24 is a few hundred homes or one office; a /48 is one site's allocation. Enough to
    say roughly where, not who.
    """
    prefix = IPV4_KEPT_PREFIX if ip.version == 4 else IPV6_KEPT_PREFIX
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False).network_address)
