"""The cluster's network plan, the HSM log entry format and the log filter patterns."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hsmshell.admin.hsm_log_reader import matcher
from hsmshell.backends.emulator import hsm_logs, topology
from hsmshell.errors import InvalidArgument


def test_network_has_one_subnet_per_zone_and_the_cloudhsm_security_group():
    net = topology.plan_network("cluster-abc12345678", ("eu-west-1a", "eu-west-1b"),
                                ["10.5.0.0/24", "10.5.1.0/25"])
    assert net["region"] == "eu-west-1"
    assert [(s["az"], s["cidr"]) for s in net["subnets"]] == [("eu-west-1a", "10.5.0.0/24"),
                                                             ("eu-west-1b", "10.5.1.0/25")]
    group = net["security_group"]
    assert group["name"] == "cloudhsm-cluster-abc12345678-sg"
    assert {(r["direction"], r["protocol"], r["ports"]) for r in group["rules"]} == \
        {("inbound", "tcp", "2223-2225"), ("outbound", "tcp", "2223-2225")}
    assert net["log_group"] == "/aws/cloudhsm/cluster-abc12345678"


@pytest.mark.parametrize("azs, subnets, words", [
    (("us-east-1a", "us-west-2a"), None, "one region"),
    (("us-east-1a", "us-east-1a"), None, "distinct"),
    (("us-east-1a", "us-east-1b"), ["10.0.0.0/24"], "need 2 subnet"),
    (("us-east-1a", "us-east-1b"), ["10.0.0.0/24", "10.0.0.128/25"], "overlap"),
    (("us-east-1a",), ["10.0.0.0/30"], "/28"),
    (("us-east-1a",), ["banana"], "invalid subnet"),
    (("nowhere",), None, "invalid availability zone"),
])
def test_bad_zones_and_subnets_are_refused_with_the_reason(azs, subnets, words):
    with pytest.raises(InvalidArgument) as caught:
        topology.plan_network("cluster-x", azs, subnets)
    assert words in caught.value.message


def test_hsms_are_spread_over_the_zones_with_unique_ips_inside_their_subnet():
    net = topology.plan_network("cluster-x", ("us-east-1a", "us-east-1b", "us-east-1c"))
    hsms = topology.plan_hsms(net, 28)
    assert [h["server"] for h in hsms] == list(range(28))
    assert [h["az"] for h in hsms[:4]] == ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1a"]
    assert len({h["ip"] for h in hsms}) == 28 and len({h["hsm_id"] for h in hsms}) == 28
    for hsm in hsms:
        assert ipaddress.ip_address(hsm["ip"]) in ipaddress.ip_network(hsm["subnet"])
        assert hsm["hsm_id"].startswith("hsm-") and hsm["eni_id"].startswith("eni-")
    with pytest.raises(InvalidArgument):
        topology.plan_hsms(net, 29)


@settings(max_examples=30, deadline=None)
@given(st.integers(min_value=0, max_value=10))
def test_a_small_subnet_fills_up_without_reusing_or_reserved_addresses(taken_count):
    cidr = "192.168.7.0/28"             # 16 addresses, 11 usable after AWS's reserved ones
    taken = {f"192.168.7.{4 + i}" for i in range(taken_count)}
    free = [str(ipaddress.ip_address(int(ipaddress.ip_address("192.168.7.4")) + i)) for i in range(11)]
    while len(taken) < 11:
        ip = topology.allocate_ip(cidr, taken)
        assert ip in free and ip not in taken
        taken.add(ip)
    with pytest.raises(InvalidArgument):
        topology.allocate_ip(cidr, taken)


def test_a_log_entry_is_the_verbatim_cloudhsm_layout():
    row = {"usecs": 1513717277140812, "seq": 1, "reboot_counter": 0xe8, "command_type": 0,
           "opcode": "CN_GEN_PSWD_ENC_KEY", "session_handle": 0x1004001, "response": hsm_logs.SUCCESS,
           "log_type": 0, "user_name": None, "user_type": None, "key_handle": None,
           "public_key_handle": None}
    assert hsm_logs.format_entry(row) == (
        "Time: 12/19/17 21:01:17.140812, usecs:1513717277140812\n"
        "Sequence No : 0x1\n"
        "Reboot counter : 0xe8\n"
        "Command Type(hex) : CN_MGMT_CMD (0x0)\n"
        "Opcode : CN_GEN_PSWD_ENC_KEY (0x1d)\n"
        "Session Handle : 0x1004001\n"
        "Response : 0:HSM Return: SUCCESS\n"
        "Log type : MINIMAL_LOG_ENTRY (0)")
    user = hsm_logs.format_entry({**row, "opcode": "CN_LOGIN", "log_type": 2, "user_name": "admin",
                                  "user_type": "PRECO"})
    assert user.endswith("Opcode : CN_LOGIN (0xd)\nSession Handle : 0x1004001\nResponse : 0:HSM Return: "
                         "SUCCESS\nLog type : MGMT_USER_DETAILS_LOG (2)\nUser Name : admin\n"
                         "User Type : CN_CRYPTO_PRE_OFFICER (6)")
    key = hsm_logs.format_entry({**row, "opcode": "CN_GENERATE_KEY_PAIR", "log_type": 1,
                                 "key_handle": 131079, "public_key_handle": 131078})
    assert key.endswith("Priv/Secret Key Handle : 131079\nPublic Key Handle : 131078")
    assert "Opcode : CN_CLONE_SOURCE_STAGE1\n" in hsm_logs.format_entry({**row, "opcode": "CN_CLONE_SOURCE_STAGE1"})


def test_responses_use_the_documented_codes():
    from hsmshell.errors import LoginFailed, NoSuchUser
    assert hsm_logs.response_text(None) == "0:HSM Return: SUCCESS"
    assert hsm_logs.response_text(LoginFailed("x")) == "163:HSM Error: RET_USER_LOGIN_FAILURE"
    assert hsm_logs.response_text(NoSuchUser("x")).startswith("157:HSM Error: ")


@pytest.mark.parametrize("pattern, text, expected", [
    ("CN_LOGIN", "Opcode : CN_LOGIN (0xd)", True),
    ("CN_LOGIN admin", "Opcode : CN_LOGIN (0xd)\nUser Name : bob", False),
    ('"User Name : bob"', "Opcode : CN_LOGIN (0xd)\nUser Name : bob", True),
    ("?CN_CREATE_CO ?CN_CREATE_USER", "Opcode : CN_CREATE_USER (0x3)", True),
    ("?CN_CREATE_CO ?CN_DELETE_USER", "Opcode : CN_CREATE_USER (0x3)", False),
    ("CN_LOGIN -SUCCESS", "Opcode : CN_LOGIN (0xd)\nResponse : 0:HSM Return: SUCCESS", False),
    ("cn_login", "Opcode : CN_LOGIN (0xd)", False),          # case-sensitive, as CloudWatch
    (None, "anything", True),
])
def test_filter_patterns_follow_cloudwatch(pattern, text, expected):
    assert matcher(pattern)(text) is expected


def test_an_unbalanced_quote_in_a_filter_is_a_clear_error():
    with pytest.raises(InvalidArgument):
        matcher('"open')


def test_hsm_addresses_depend_only_on_the_cluster_name_and_subnets():
    """So an address the README shows (`configure -a 10.0.1.194` for the cluster prod) is real."""
    zones, subnets = ("us-east-1a", "us-east-1b", "us-east-1c"), ["10.0.1.0/24", "10.0.2.0/24", "10.0.3.0/24"]

    def ips(name):
        net = topology.plan_network("cluster-x", zones, subnets, ip_seed=name)
        return [h["ip"] for h in topology.plan_hsms(net, 3)]

    assert ips("prod") == ips("prod") and ips("prod")[0] == "10.0.1.194"
    assert ips("prod") != ips("staging")
    net = topology.plan_network("cluster-x", zones, subnets, ip_seed="prod")
    taken = set(ips("prod"))
    replacement = topology.new_hsm(net, "us-east-1b", 1, set(taken))
    assert replacement["ip"] not in taken and replacement["ip"].startswith("10.0.2.")
