"""The VPC side of a cluster as KMS sees it, and the changes that break or mend it for a
rehearsal (`hsmshell cluster network ...`): subnets deleted or added, the cluster security
group's TCP 2223-2225 rules revoked or restored, a network ACL blocking those ports, other
ENIs taking a subnet's free addresses, and the ENIs KMS itself adds when a store connects.

All of it lives in the cluster's `network` meta value (topology.plan_network made it), so it
changes in the same transaction as the rest of the cluster and is audited with it.
"""

from __future__ import annotations

import json

from hsmshell.backends.emulator import topology
from hsmshell.errors import InvalidArgument

RULE_DIRECTIONS = ("inbound", "outbound")


def load(cluster) -> dict:
    from hsmshell.backends.emulator.lifecycle import network
    return network(cluster)


def save(cluster, net: dict) -> None:
    cluster.db.set_meta("network", json.dumps(net, sort_keys=True))


# -- reading ---------------------------------------------------------------------------------
def live_subnets(net: dict) -> list[dict]:
    return [s for s in net.get("subnets", []) if not s.get("deleted")]


def deleted_subnets(net: dict) -> list[dict]:
    return [s for s in net.get("subnets", []) if s.get("deleted")]


def missing_rules(net: dict) -> list[str]:
    """The directions whose TCP 2223-2225 rule to the group itself is gone (or changed)."""
    group = net.get("security_group") or {}
    rules = group.get("rules", [])
    intact = {r.get("direction") for r in rules
              if r.get("protocol") == "tcp" and r.get("ports") == topology.CLIENT_PORTS
              and str(r.get("peer", "")).startswith(str(group.get("group_id")))}
    return [d for d in RULE_DIRECTIONS if d not in intact] if group else list(RULE_DIRECTIONS)


def acl_blocks(net: dict) -> bool:
    return bool((net.get("network_acl") or {}).get("deny_client_ports"))


def free_addresses(net: dict, hsms) -> dict[str, int]:
    """Free addresses per live subnet (by subnet id): its host addresses less the HSMs' ENIs,
    other ENIs (`occupied`) and KMS's ENIs."""
    free = {}
    for subnet in live_subnets(net):
        first, last = topology._host_range(subnet["cidr"])
        used = sum(1 for h in hsms if h.subnet == subnet["cidr"])
        used += int(subnet.get("occupied", 0))
        used += sum(1 for e in net.get("kms_enis", []) if e.get("subnet_id") == subnet["subnet_id"])
        free[subnet["subnet_id"]] = max(0, last - first + 1 - used)
    return free


# -- changing (rehearsal) -------------------------------------------------------------------------
def change(cluster, *, delete_subnet: str | None = None, restore_subnet: str | None = None,
           add_subnet: str | None = None, revoke_rule: str | None = None,
           restore_security_group: bool = False, block_acl: bool = False, unblock_acl: bool = False,
           occupy: str | None = None, release: str | None = None) -> dict:
    net = load(cluster)
    done = []
    if add_subnet:
        done.append(_add_subnet(net, add_subnet))
    if delete_subnet:
        subnet = find_subnet(net, delete_subnet)
        subnet["deleted"] = True
        done.append(f"deleted subnet {subnet['subnet_id']} ({subnet['az']}, {subnet['cidr']})")
    if restore_subnet:
        subnet = find_subnet(net, restore_subnet)
        subnet.pop("deleted", None)
        done.append(f"restored subnet {subnet['subnet_id']} ({subnet['az']})")
    if revoke_rule:
        if revoke_rule not in RULE_DIRECTIONS + ("both",):
            raise InvalidArgument(f"--revoke-rule takes inbound, outbound or both, not '{revoke_rule[:20]}'")
        gone = RULE_DIRECTIONS if revoke_rule == "both" else (revoke_rule,)
        group = net["security_group"]
        group["rules"] = [r for r in group["rules"] if r.get("direction") not in gone]
        done.append(f"revoked the {' and '.join(gone)} TCP {topology.CLIENT_PORTS} rule(s) of {group['name']}")
    if restore_security_group:
        group = net["security_group"]
        group["rules"] = [{"direction": d, "protocol": "tcp", "ports": topology.CLIENT_PORTS,
                           "peer": f"{group['group_id']} (this group)"} for d in RULE_DIRECTIONS]
        done.append(f"restored the default rules of {group['name']}")
    if block_acl or unblock_acl:
        net["network_acl"] = {"deny_client_ports": bool(block_acl)}
        done.append(f"network ACL {'denies' if block_acl else 'allows'} TCP {topology.CLIENT_PORTS}")
    if occupy:
        where, _, count = occupy.partition("=")
        subnet = find_subnet(net, where)
        free = free_addresses(net, cluster.hsms())[subnet["subnet_id"]]
        taken = free if count in ("", "all") else _count(count, free)
        subnet["occupied"] = int(subnet.get("occupied", 0)) + taken
        done.append(f"other ENIs took {taken} address(es) of subnet {subnet['subnet_id']} ({subnet['az']})")
    if release:
        subnet = find_subnet(net, release)
        subnet["occupied"] = 0
        done.append(f"released the addresses other ENIs held in subnet {subnet['subnet_id']}")
    if not done:
        raise InvalidArgument("say what to change", hint="hsmshell cluster network --help")
    save(cluster, net)
    return {"changes": done, "subnets": net["subnets"], "security_group": net["security_group"],
            "network_acl": net.get("network_acl", {"deny_client_ports": False}),
            "free_addresses": free_addresses(net, cluster.hsms())}


def find_subnet(net: dict, ref: str) -> dict:
    for subnet in net.get("subnets", []):
        if ref in (subnet.get("az"), subnet.get("subnet_id"), subnet.get("cidr")):
            return subnet
    zones = ", ".join(s["az"] for s in net.get("subnets", []))
    raise InvalidArgument(f"the cluster has no subnet '{ref[:40]}'", hint=f"by zone, subnet id or CIDR: {zones}")


def _add_subnet(net: dict, spec: str) -> str:
    az, _, cidr = spec.partition("=")
    if not cidr:
        raise InvalidArgument("--add-subnet takes ZONE=CIDR, e.g. us-east-1b=10.0.9.0/24")
    existing = [s for s in net["subnets"]]
    if any(s["az"] == az and not s.get("deleted") for s in existing):
        raise InvalidArgument(f"the cluster has a subnet in {az} already")
    planned = topology.plan_network("cluster-check", [s["az"] for s in existing if s["az"] != az] + [az],
                                    [s["cidr"] for s in existing if s["az"] != az] + [cidr])
    new = planned["subnets"][-1]
    net["subnets"] = [s for s in existing if s["az"] != az] + [new]
    return f"added subnet {new['subnet_id']} ({az}, {new['cidr']})"


def _count(text: str, free: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise InvalidArgument(f"an address count is a number or 'all', not '{text[:20]}'") from None
    if not 0 < value <= free:
        raise InvalidArgument(f"the subnet has {free} free address(es); take 1 to {free}")
    return value


# -- KMS's ENIs (connect adds one per subnet, disconnect removes them) ---------------------------------
def add_kms_enis(cluster, store_id: str) -> list[dict]:
    net = load(cluster)
    taken = {h.ip for h in cluster.hsms()} | {e["ip"] for e in net.get("kms_enis", [])}
    enis = []
    for subnet in live_subnets(net):
        ip = topology.allocate_ip(subnet["cidr"], taken)
        taken.add(ip)
        enis.append({"store": store_id, "subnet_id": subnet["subnet_id"], "az": subnet["az"], "ip": ip,
                     "eni_id": topology.aws_id("eni"),
                     "description": f"KMS managed ENI for cluster {cluster.db.meta('cluster_id')}"})
    net["kms_enis"] = [e for e in net.get("kms_enis", []) if e.get("store") != store_id] + enis
    net["kms_security_group"] = {"name": f"kms-{store_id}", "group_id": topology.aws_id("sg"),
                                 "rules": [{"direction": "inbound",
                                            "peer": net["security_group"]["group_id"]}]}
    save(cluster, net)
    return enis


def remove_kms_enis(cluster, store_id: str) -> int:
    net = load(cluster)
    before = net.get("kms_enis", [])
    net["kms_enis"] = [e for e in before if e.get("store") != store_id]
    if (net.get("kms_security_group") or {}).get("name") == f"kms-{store_id}":
        net.pop("kms_security_group")
    save(cluster, net)
    return len(before) - len(net["kms_enis"])

