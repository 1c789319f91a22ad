"""Which addresses a webhook may reach: only globally routable unicast ones, judged through
every IPv6 form that carries an IPv4 address, and never a cloud metadata endpoint."""

from __future__ import annotations

import pytest

from creditdesk.domain.addresses import is_metadata_address, is_public_address
from creditdesk.domain.events import DeliveryError, status_error


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.255.0.9",
        "0.0.0.0",
        "10.1.2.3",
        "172.31.255.1",
        "192.168.0.1",
        "100.64.12.1",  # carrier-grade NAT
        "169.254.1.1",
        "169.254.169.254",
        "168.63.129.16",  # Azure's host endpoint: a public address
        "192.0.0.192",  # Oracle Cloud metadata
        "100.100.100.200",
        "224.0.0.251",
        "239.255.255.250",
        "240.0.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "fe80::1",
        "fe80::1%eth0",
        "fc00::1",
        "fd00:ec2::254",
        "fec0::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "::ffff:169.254.169.254",
        "::127.0.0.1",
        "2002:7f00:1::",  # 6to4 of 127.0.0.1
        "2002:a9fe:a9fe::",  # 6to4 of 169.254.169.254
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
        "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo
        "not an address",
        "",
    ],
)
def test_an_address_inside_the_network_or_special_is_not_public(address: str) -> None:
    assert not is_public_address(address)


@pytest.mark.parametrize(
    "address", ["93.184.216.34", "8.8.4.4", "2606:4700:4700::1111", "2a00:1450:4001::200e"]
)
def test_a_globally_routable_unicast_address_is_public(address: str) -> None:
    assert is_public_address(address)


@pytest.mark.parametrize(
    ("address", "metadata"),
    [
        ("169.254.169.254", True),
        ("::ffff:169.254.169.254", True),
        ("fd00:ec2::254", True),
        ("fd00:ec2::254%eth0", True),
        ("100.100.100.200", True),
        ("168.63.129.16", True),
        ("127.0.0.1", False),
        ("10.0.0.1", False),
        ("nonsense", False),
    ],
)
def test_metadata_endpoints_are_known_in_every_spelling(address: str, metadata: bool) -> None:
    assert is_metadata_address(address) is metadata


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (200, None),
        (204, None),
        (301, DeliveryError.HTTP_STATUS_3XX),
        (404, DeliveryError.HTTP_STATUS_4XX),
        (503, DeliveryError.HTTP_STATUS_5XX),
        (101, DeliveryError.PROTOCOL_ERROR),
    ],
)
def test_an_answer_other_than_2xx_is_a_failure_by_its_class(
    status: int, error: DeliveryError | None
) -> None:
    assert status_error(status) is error
