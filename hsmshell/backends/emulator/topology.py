"""Where a cluster's HSMs live in the customer's VPC: availability zones, subnets, one elastic
network interface (ENI) with an IP per HSM, the cluster's security group and its log group.

As in CloudHSM, each HSM appears in one of the customer's subnets as an ENI, one subnet per
availability zone; the security group `cloudhsm-cluster-<clusterID>-sg` allows TCP 2223-2225
between the HSMs (and the clients added to it). Pure planning: nothing here touches the database.
"""

from __future__ import annotations

import os
import re
import string

from hsmshell.errors import InvalidArgument

DEFAULT_AZS = ("us-east-1a", "us-east-1b", "us-east-1c")
MAX_HSMS = 28                              # HSMs per cluster (AWS quota, not adjustable)
DEFAULT_REPLACE_AFTER = 600.0              # seconds before a failed HSM is replaced automatically
CLIENT_PORTS = "2223-2225"
SERVICE_LINKED_ROLE = "AWSServiceRoleForCloudHSM"
# AWS's HSM types and modes (CreateCluster --hsm-type, --mode). hsm1.medium reached its end
# of life on 2025-12-01, so a new cluster is an hsm2m.medium in FIPS mode; only hsm2m.medium
# offers mTLS, the cluster quorum service and non-FIPS mode (ed25519).
HSM_TYPES = ("hsm2m.medium", "hsm1.medium")
HSM_MODES = ("FIPS", "NON_FIPS")
DEFAULT_HSM_TYPE, DEFAULT_MODE = HSM_TYPES[0], HSM_MODES[0]
HSM2M = "hsm2m.medium"
_ALPHABET = string.ascii_lowercase + string.digits
_RESERVED_LOW, _RESERVED_HIGH = 4, 1       # AWS keeps the first four and the last address of a subnet


def aws_id(prefix: str) -> str:
    import secrets          # only when a cluster or HSM is made: off every start's import path
    return prefix + "-" + "".join(secrets.choice(_ALPHABET) for _ in range(11))


def log_group(cluster_id: str) -> str:
    return f"/aws/cloudhsm/{cluster_id}"


def check_type(hsm_type: str, mode: str) -> tuple[str, str]:
    if hsm_type not in HSM_TYPES:
        raise InvalidArgument(f"unknown HSM type {hsm_type[:20]!r}", hint="hsm2m.medium or hsm1.medium")
    if mode not in HSM_MODES:
        raise InvalidArgument(f"unknown mode {mode[:20]!r}", hint="FIPS or NON_FIPS")
    if mode != "FIPS" and hsm_type != HSM2M:
        raise InvalidArgument("only hsm2m.medium clusters can be made in NON_FIPS mode")
    return hsm_type, mode


def plan_network(cluster_id: str, azs=DEFAULT_AZS, subnets=None, ip_seed: str = "",
                 hsm_type: str = DEFAULT_HSM_TYPE, mode: str = DEFAULT_MODE) -> dict:
    """The cluster's VPC side: one subnet per AZ (default 10.0.<i>.0/24), its security group.
    `ip_seed` (the cluster's name) makes the HSMs' IPs the same for every cluster of that name
    and subnets, so documented addresses (`configure -a 10.0.1.x`) are real."""
    azs = tuple(a.strip() for a in azs)
    if not azs or any(not a for a in azs) or len(set(azs)) != len(azs):
        raise InvalidArgument("availability zones must be distinct names, e.g. us-east-1a,us-east-1b")
    regions = {_region(a) for a in azs}
    if len(regions) != 1:
        raise InvalidArgument(f"availability zones must be in one region, not {', '.join(sorted(regions))}")
    cidrs = list(subnets) if subnets else [f"10.0.{i}.0/24" for i in range(len(azs))]
    if len(cidrs) != len(azs):
        raise InvalidArgument(f"{len(azs)} availability zone(s) need {len(azs)} subnet(s), not {len(cidrs)}",
                              hint="one subnet CIDR per zone, in the same order as --azs")
    networks = [_subnet(c) for c in cidrs]
    for i, a in enumerate(networks):
        for b in networks[i + 1:]:
            if a.overlaps(b):
                raise InvalidArgument(f"subnets {a} and {b} overlap")
    group_id = aws_id("sg")
    return {
        "region": regions.pop(), "vpc_id": aws_id("vpc"), "hsm_type": hsm_type, "mode": mode,
        "subnets": [{"az": az, "subnet_id": aws_id("subnet"), "cidr": str(net)}
                    for az, net in zip(azs, networks)],
        "security_group": {
            "group_id": group_id, "name": f"cloudhsm-{cluster_id}-sg",   # cloudhsm-cluster-<id>-sg
            "rules": [{"direction": direction, "protocol": "tcp", "ports": CLIENT_PORTS,
                       "peer": f"{group_id} (this group)"} for direction in ("inbound", "outbound")]},
        "log_group": log_group(cluster_id),
        "service_linked_role": SERVICE_LINKED_ROLE,
        **({"ip_seed": ip_seed} if ip_seed else {}),
    }


def subnet_for(network: dict, az: str) -> dict:
    for subnet in network["subnets"]:
        if subnet["az"] == az:
            return subnet
    zones = ", ".join(s["az"] for s in network["subnets"])
    raise InvalidArgument(f"the cluster has no subnet in {az}", hint=f"its zones: {zones}")


def least_used_az(network: dict, hsm_azs: list[str]) -> str:
    """Where a new HSM goes when no zone is named: the zone with the fewest HSMs (first on ties)."""
    zones = [s["az"] for s in network["subnets"]]
    return min(zones, key=lambda az: (hsm_azs.count(az), zones.index(az)))


def new_hsm(network: dict, az: str, server: int, taken_ips: set[str],
            identity: dict | None = None) -> dict:
    """One HSM: its id, its ENI and IP in the AZ's subnet (not one of `taken_ips`), a serial.
    `identity` ({"hsm_id", "ip"}) is the id and IP the HSM had in a run `audit replay`
    re-runs, used instead of random ones; the IP must still be a free address of the subnet."""
    subnet = subnet_for(network, az)
    if identity is None:
        hsm_id, ip = aws_id("hsm"), allocate_ip(subnet["cidr"], taken_ips, network.get("ip_seed", ""))
    else:
        hsm_id, ip = identity.get("hsm_id"), identity.get("ip")
        _check_identity(hsm_id, ip, subnet["cidr"], taken_ips)
    taken_ips.add(ip)
    return {"hsm_id": hsm_id, "server": server, "az": az, "subnet": subnet["cidr"],
            "ip": ip, "eni_id": aws_id("eni"),
            "serial": f"{int.from_bytes(os.urandom(3), 'big'):08d}"}


def _check_identity(hsm_id, ip, cidr: str, taken: set[str]) -> None:
    import ipaddress
    if not isinstance(hsm_id, str) or not re.fullmatch(r"hsm-[a-z0-9]{11}", hsm_id):
        raise InvalidArgument(f"'{str(hsm_id)[:40]}' is not an HSM id (hsm- and 11 letters or digits)")
    try:
        value = int(ipaddress.IPv4Address(ip))
    except (ValueError, TypeError):
        raise InvalidArgument(f"'{str(ip)[:40]}' is not an IPv4 address") from None
    first, last = _host_range(cidr)
    if not first <= value <= last or ip in taken:
        raise InvalidArgument(f"{ip} is not a free host address of subnet {cidr}")


def plan_hsms(network: dict, count: int, taken_ips: set[str] | None = None) -> list[dict]:
    """`count` HSMs spread over the zones round robin (server numbers 0..count-1)."""
    if not 1 <= count <= MAX_HSMS:
        raise InvalidArgument(f"a cluster has 1 to {MAX_HSMS} HSMs, not {count}")
    taken = set(taken_ips or ())
    zones = [s["az"] for s in network["subnets"]]
    return [new_hsm(network, zones[server % len(zones)], server, taken) for server in range(count)]


def allocate_ip(cidr: str, taken: set[str], seed: str = "") -> str:
    """A free host address of the subnet, picked at random as AWS does for an ENI; with a seed,
    a pseudo-random pick that depends only on (seed, subnet, addresses already taken)."""
    import ipaddress
    import random
    import secrets
    first, last = _host_range(cidr)
    size = last - first + 1
    draw = random.Random(f"{seed}|{cidr}|{','.join(sorted(taken))}").randrange if seed else secrets.randbelow
    if size - len(taken) > 0:
        for _ in range(32):
            candidate = str(ipaddress.ip_address(first + draw(size)))
            if candidate not in taken:
                return candidate
        for value in range(first, last + 1):          # nearly full: take the first free one
            candidate = str(ipaddress.ip_address(value))
            if candidate not in taken:
                return candidate
    raise InvalidArgument(f"subnet {cidr} has no free address for another HSM",
                          hint="use a larger subnet (a /28 or larger)")


def _host_range(cidr: str) -> tuple[int, int]:
    """The first and last address an ENI may get in the subnet (as integers)."""
    import ipaddress
    net = ipaddress.ip_network(cidr)
    return int(net.network_address) + _RESERVED_LOW, int(net.broadcast_address) - _RESERVED_HIGH


def _subnet(cidr: str):
    import ipaddress
    try:
        net = ipaddress.ip_network(cidr.strip(), strict=True)
    except ValueError as exc:
        raise InvalidArgument(f"invalid subnet '{cidr[:40]}': {exc}",
                              hint="an IPv4 CIDR such as 10.0.1.0/24") from None
    if net.version != 4 or not 16 <= net.prefixlen <= 28:
        raise InvalidArgument(f"subnet {net} must be IPv4, between /16 and /28 (as a VPC subnet is)")
    return net


def _region(az: str) -> str:
    if len(az) < 2 or not az[-1].isalpha() or not az[:-1][-1:].isdigit():
        raise InvalidArgument(f"invalid availability zone '{az[:40]}'", hint="e.g. us-east-1a")
    return az[:-1]
