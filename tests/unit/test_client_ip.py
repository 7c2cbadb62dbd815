"""Which address a request came from, when anyone can write an X-Forwarded-For header."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tracking_core.client_ip import client_ip, parse_ip, parse_networks
from tracking_core.ports import IPAddress

TRUSTED = parse_networks(["10.0.0.0/8", "127.0.0.1", "::1", "fd00::/8"])

trusted_addresses = st.sampled_from(["10.0.0.1", "10.20.30.40", "127.0.0.1", "::1", "fd00::7"])


def _not_ipv4_mapped(address: IPv4Address | IPv6Address) -> bool:
    """An IPv4-mapped IPv6 address is read as its IPv4 address, which may be a trusted one."""
    return not (isinstance(address, IPv6Address) and address.ipv4_mapped is not None)


client_addresses = (
    st.ip_addresses().filter(lambda a: not any(a in n for n in TRUSTED)).filter(_not_ipv4_mapped)
)
junk = st.sampled_from(["", " ", "unknown", "::ffff:zz", "300.1.1.1", "[", "[]:80", "_hidden"])
any_entry = (junk | st.text(max_size=20) | trusted_addresses | st.ip_addresses().map(str)).filter(
    lambda e: "," not in e
)


def _header(entries: list[str]) -> str:
    return ", ".join(entries)


# parse_ip


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("203.0.113.7", IPv4Address("203.0.113.7")),
        ("  203.0.113.7\t", IPv4Address("203.0.113.7")),
        ("203.0.113.7:8080", IPv4Address("203.0.113.7")),
        ("2001:db8::1", IPv6Address("2001:db8::1")),
        ("[2001:db8::1]", IPv6Address("2001:db8::1")),
        ("[2001:db8::1]:443", IPv6Address("2001:db8::1")),
        ("fe80::1%eth0", IPv6Address("fe80::1")),
        ("[fe80::1%25eth0]:80", IPv6Address("fe80::1")),
        ("::ffff:192.0.2.1", IPv4Address("192.0.2.1")),
        ("[::ffff:c000:201]:80", IPv4Address("192.0.2.1")),
        ("::1", IPv6Address("::1")),
    ],
)
def test_parse_ip_reads_addresses_as_proxies_write_them(text: str, expected: IPAddress) -> None:
    assert parse_ip(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "unknown",
        "::ffff:zz",
        "1.2.3",
        "300.1.1.1",
        "[",
        "]",
        "[]:80",
        "1.2.3.4:5:6",
        "a:b",
    ],
)
def test_parse_ip_returns_none_for_what_is_not_an_address(text: str) -> None:
    assert parse_ip(text) is None


@given(st.text())
@example("[" * 50)
@example("%" * 5)
@example("\x00")
def test_parse_ip_never_raises_on_arbitrary_text(text: str) -> None:
    address = parse_ip(text)

    assert address is None or isinstance(address, IPv4Address | IPv6Address)


@given(st.ip_addresses())
def test_parse_ip_reads_back_every_address_it_is_given(address: IPv4Address | IPv6Address) -> None:
    expected = address.ipv4_mapped if isinstance(address, IPv6Address) else None
    expected_address = expected or address

    assert parse_ip(str(address)) == expected_address
    bracketed = f"[{address}]:1234" if address.version == 6 else f"{address}:1234"
    assert parse_ip(bracketed) == expected_address


@given(st.ip_addresses(v=6).filter(_not_ipv4_mapped))
def test_parse_ip_never_yields_an_ipv4_mapped_address(address: IPv4Address | IPv6Address) -> None:
    mapped = IPv6Address(f"::ffff:{IPv4Address(int(address) & 0xFFFFFFFF)}")

    assert isinstance(parse_ip(str(mapped)), IPv4Address)
    assert parse_ip(str(address)) == address


# parse_networks


def test_parse_networks_reads_cidr_blocks_and_single_addresses() -> None:
    networks = parse_networks(["10.0.0.0/8", " 127.0.0.1 ", "::1", "", "  ", "192.168.1.7/24"])

    assert networks == (
        IPv4Network("10.0.0.0/8"),
        IPv4Network("127.0.0.1/32"),
        IPv6Network("::1/128"),
        IPv4Network("192.168.1.0/24"),
    )


@pytest.mark.parametrize("spec", ["10.0.0.0/33", "nonsense", "10.0.0.256", "fe80::/129"])
def test_parse_networks_raises_value_error_for_a_bad_spec(spec: str) -> None:
    with pytest.raises(ValueError, match=spec.split("/")[0]):
        parse_networks([spec])


# client_ip


def test_without_a_peer_there_is_no_address() -> None:
    assert client_ip(None, "203.0.113.7", TRUSTED) is None
    assert client_ip("", "203.0.113.7", TRUSTED) is None
    assert client_ip("not an address", "203.0.113.7", TRUSTED) is None


def test_an_untrusted_peer_is_the_client_whatever_the_header_says() -> None:
    assert client_ip("198.51.100.2", "203.0.113.7", TRUSTED) == ip_address("198.51.100.2")


@given(peer=client_addresses, forwarded_for=st.none() | st.text())
def test_with_an_untrusted_peer_x_forwarded_for_is_ignored_entirely(
    peer: IPv4Address | IPv6Address, forwarded_for: str | None
) -> None:
    assert client_ip(str(peer), forwarded_for, TRUSTED) == peer


def test_a_trusted_peer_without_a_header_is_the_client() -> None:
    assert client_ip("10.0.0.1", None, TRUSTED) == ip_address("10.0.0.1")
    assert client_ip("10.0.0.1", "", TRUSTED) == ip_address("10.0.0.1")


def test_a_trusted_proxy_vouches_for_the_address_it_forwarded() -> None:
    assert client_ip("10.0.0.1", "203.0.113.7", TRUSTED) == ip_address("203.0.113.7")


def test_the_walk_skips_every_trusted_proxy_from_the_right() -> None:
    header = "198.51.100.66, 203.0.113.7, 10.0.0.3, 10.0.0.2"

    assert client_ip("10.0.0.1", header, TRUSTED) == ip_address("203.0.113.7")


def test_when_every_hop_is_trusted_the_leftmost_is_the_client() -> None:
    assert client_ip("10.0.0.1", "10.0.0.9, 10.0.0.2", TRUSTED) == ip_address("10.0.0.9")


def test_a_malformed_entry_ends_the_walk_at_the_last_address_known_good() -> None:
    assert client_ip("10.0.0.1", "203.0.113.7, garbage", TRUSTED) == ip_address("10.0.0.1")
    assert client_ip("10.0.0.1", "203.0.113.7, , 10.0.0.2", TRUSTED) == ip_address("10.0.0.2")
    assert client_ip("10.0.0.1", "garbage, 203.0.113.7", TRUSTED) == ip_address("203.0.113.7")


def test_ipv6_hops_with_brackets_ports_and_zone_ids_are_understood() -> None:
    header = "[2001:db8::5]:4711, fe80::1%eth0, [::1]:8080"
    trusted = parse_networks(["::1", "fe80::/10"])

    assert client_ip("::1", header, trusted) == ip_address("2001:db8::5")


def test_an_ipv4_mapped_peer_is_trusted_as_its_ipv4_address() -> None:
    assert client_ip("::ffff:10.0.0.1", "203.0.113.7", TRUSTED) == ip_address("203.0.113.7")
    assert client_ip("::ffff:198.51.100.2", None, TRUSTED) == ip_address("198.51.100.2")


@given(
    forged=st.lists(any_entry, max_size=5),
    client=client_addresses,
    proxies=st.lists(trusted_addresses, max_size=4),
    peer=trusted_addresses,
)
def test_forged_entries_left_of_the_real_client_never_win(
    forged: list[str], client: IPv4Address | IPv6Address, proxies: list[str], peer: str
) -> None:
    written = f"[{client}]:5555" if client.version == 6 else str(client)
    header = _header([*forged, written, *proxies])

    assert client_ip(peer, header, TRUSTED) == client


@given(peer=any_entry, entries=st.lists(any_entry, max_size=6))
@example(peer="10.0.0.1", entries=["::ffff:zz"])
@example(peer="10.0.0.1", entries=["", ""])
def test_junk_never_raises_nor_invents_an_address(peer: str, entries: list[str]) -> None:
    candidates = {parse_ip(text) for text in [peer, *entries]} - {None}

    address = client_ip(peer, _header(entries), TRUSTED)

    assert address is None or address in candidates


@given(peer=trusted_addresses, right=st.lists(trusted_addresses, max_size=4), left=st.text())
def test_a_trusted_chain_returns_an_address_from_the_chain_or_left_of_it(
    peer: str, right: list[str], left: str
) -> None:
    address = client_ip(peer, _header([left, *right]), TRUSTED)

    assert address is not None
    assert address in {parse_ip(text) for text in [peer, *right, *left.split(",")]}
