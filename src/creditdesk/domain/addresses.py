"""Which network addresses a webhook may reach.

A webhook URL is chosen by whoever registers the webhook, and the server then POSTs to it from
inside the network: without a check it could reach the loopback interface, private networks,
link-local addresses and the cloud metadata services (which hand out credentials). Only
globally routable unicast addresses are allowed; addresses embedded in IPv6 forms
(IPv4-mapped, 6to4, Teredo, NAT64) are judged by the IPv4 address they carry.
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address

METADATA_ADDRESSES = frozenset(
    ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean…
        "169.254.170.2",  # AWS ECS task credentials
        "169.254.169.253",  # AWS VPC DNS
        "fd00:ec2::254",  # AWS over IPv6
        "fd00:ec2::253",
        "100.100.100.200",  # Alibaba Cloud
        "168.63.129.16",  # Azure host (a public address)
        "192.0.0.192",  # Oracle Cloud
    )
)
"""Cloud metadata endpoints; some are public addresses and pass the other checks."""

_NOT_PUBLIC_V4 = (IPv4Network("100.64.0.0/10"), IPv4Network("192.0.0.0/24"))
"""Shared address space (carrier-grade NAT) and IETF protocol assignments: never a receiver."""
_NAT64 = IPv6Network("64:ff9b::/96")


def embedded_ipv4(address: IPv6Address) -> IPv4Address | None:
    """The IPv4 address an IPv6 address stands for, if it is one of the forms that carry one."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _public(address: IPv4Address | IPv6Address) -> bool:
    if address in METADATA_ADDRESSES:
        return False
    special = (
        address.is_loopback,
        address.is_private,
        address.is_link_local,
        address.is_multicast,
        address.is_reserved,
        address.is_unspecified,
        isinstance(address, IPv6Address) and address.is_site_local,
        isinstance(address, IPv4Address) and any(address in net for net in _NOT_PUBLIC_V4),
    )
    return not any(special) and address.is_global


def is_public_address(text: str) -> bool:
    """True when a webhook may connect to this IP address (text, as name resolution gives it);
    False for loopback, private, link-local, multicast, reserved, unspecified and metadata
    addresses, in IPv4 or any IPv6 form, and for text that is not an IP address at all."""
    try:
        address = ip_address(text)
    except ValueError:
        return False
    if isinstance(address, IPv6Address):
        if address.scope_id is not None:  # a zone (fe80::1%eth0) only exists on a local link
            return False
        inner = embedded_ipv4(address)
        if inner is not None and not _public(inner):
            return False
    return _public(address)


def is_metadata_address(text: str) -> bool:
    """True for a cloud metadata endpoint (in any IPv6 form): refused even where private
    addresses are allowed, since no receiver lives there and it hands out credentials."""
    try:
        address = ip_address(text)
    except ValueError:
        return False
    if isinstance(address, IPv6Address):
        inner = embedded_ipv4(address)
        if inner is not None and inner in METADATA_ADDRESSES:
            return True
        address = IPv6Address(str(address).split("%", 1)[0])  # without a zone
    return address in METADATA_ADDRESSES
