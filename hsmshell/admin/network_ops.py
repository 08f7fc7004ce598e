"""`hsmshell cluster network NAME ...` and `hsmshell cluster delete NAME`: what AWS users change
in EC2 (subnets, security group rules, network ACLs, other ENIs taking addresses) or delete
(the cluster), so a KMS key store rehearsal can meet each failure KMS reports (docs/kms.md).
Each is an audited cluster operation (admin/session.py)."""

from __future__ import annotations

import shutil

from hsmshell.admin.session import cluster_directory, run_operation
from hsmshell.backends.result import Result

OPTIONS = ("delete_subnet", "restore_subnet", "add_subnet", "revoke_rule", "restore_security_group",
           "block_acl", "unblock_acl", "occupy", "release")


def add_arguments(sub, common) -> None:
    net = sub.add_parser("network", parents=[common], help="break or mend the cluster's VPC side (rehearsals)")
    net.add_argument("name", metavar="NAME", help="cluster name")
    net.add_argument("--delete-subnet", dest="delete_subnet", metavar="AZ|SUBNET", help="delete a subnet")
    net.add_argument("--restore-subnet", dest="restore_subnet", metavar="AZ|SUBNET", help="bring it back")
    net.add_argument("--add-subnet", dest="add_subnet", metavar="AZ=CIDR", help="a subnet in another zone")
    net.add_argument("--revoke-rule", dest="revoke_rule", metavar="inbound|outbound|both",
                     help="remove the security group's TCP 2223-2225 rule")
    net.add_argument("--restore-security-group", dest="restore_security_group", action="store_true",
                     help="put the default rules back")
    net.add_argument("--block-network-acl", dest="block_acl", action="store_true",
                     help="a network ACL denies TCP 2223-2225")
    net.add_argument("--unblock-network-acl", dest="unblock_acl", action="store_true")
    net.add_argument("--occupy-addresses", dest="occupy", metavar="AZ[=N|all]",
                     help="other ENIs take N (default all) free addresses of a subnet")
    net.add_argument("--release-addresses", dest="release", metavar="AZ", help="they let them go")
    delete = sub.add_parser("delete", parents=[common], help="delete the cluster and all its state")
    delete.add_argument("name", metavar="NAME", help="cluster name")


def network(env, name: str, options) -> Result:
    from hsmshell.backends.emulator import network as vpc

    args = {key: getattr(options, key) for key in OPTIONS if getattr(options, key)}

    def action(cluster):
        change = vpc.change(cluster, **args)
        return Result("cluster network", "cluster_network",
                      data={"cluster": name, "message": "; ".join(change["changes"]), **change})
    return run_operation(env, name, "network", action, args)


def delete(env, name: str) -> Result:
    directory = cluster_directory(env, name)
    shutil.rmtree(directory)
    return Result("cluster delete", "message", data={"message": f"deleted cluster {name} ({directory})",
                                                     "cluster": name})
