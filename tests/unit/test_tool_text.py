"""The cloudhsm backend reads the real tools' text: verbatim outputs from AWS's documentation
(AWS's cloudhsm_mgmt_util pages, AWS's key_mgmt_util pages), including the variants it quotes."""

from __future__ import annotations

from hsmshell.backends.cloudhsm import cmu_text, kmu_text
from hsmshell.backends.cloudhsm.text_errors import error_from_code, error_from_text

SERVERS = {0: cmu_text.Server(0, "hsm-a", "10.0.2.14"), 1: cmu_text.Server(1, "hsm-b", "10.0.1.4"),
           2: cmu_text.Server(2, "hsm-c", "10.0.3.6")}


def test_cmu_start_up_lines_number_the_servers_in_config_order():
    text = ("Connecting to the server(s), it may take time\ndepending on the server(s) load, please "
            "wait...\n\nConnecting to server '10.0.2.9': hostname '10.0.2.9', port 2225...\n"
            "Connected to server '10.0.2.9': hostname '10.0.2.9', port 2225.\n"
            "Connecting to server '10.0.3.11': hostname '10.0.3.11', port 2225...\n")
    assert cmu_text.server_ips(text) == ["10.0.2.9", "10.0.3.11"]


def test_the_quorum_refusal_and_an_abort_as_cmu_prints_them():
    text = ("createUser failed: RET_MXN_AUTH_FAILED\ncreating user on server 0(10.0.2.14) failed\n\n"
            "Retry/Ignore/Abort?(R/I/A):\n")
    report = cmu_text.per_server(text, SERVERS, "createUser", aborted=True)
    assert [(s.server, s.error.reference) for s in report.statuses] == \
        [(0, "quorum-required"), (1, "not-attempted"), (2, "not-attempted")]
    text = "deleteUser failed: RET_MXN_AUTH_FAILED\ndeleteUser failed on server 0(10.0.2.14)\n"
    report = cmu_text.per_server(text, SERVERS, "deleteUser", aborted=False)
    assert [(s.server, s.hsm, s.error.reference) for s in report.statuses] == [(0, "hsm-a", "quorum-required")]


def test_success_lines_and_a_refusal_without_servers():
    text = "\nshareKey success on server 0(10.0.2.14)\nshareKey success on server 1(10.0.1.4)\n"
    assert [s.status for s in cmu_text.per_server(text, SERVERS, "shareKey", False).statuses] == \
        ["success", "success"]
    refused = cmu_text.per_server("createUser failed: HSM Error: No user is logged in to do this "
                                  "operation\n", SERVERS, "createUser", False)
    assert refused.statuses == [] and cmu_text.refusal("createUser", "createUser failed: HSM Error: "
                                                       "No user is logged in").reference == "not-logged-in"


def test_list_users_info_m_values_and_tokens():
    text = """Users on server 0(10.0.0.1):
Number of users found:6

    User Id             User Type       User Name                          MofnPubKey    LoginFailureCnt         2FA
         1              PCO             admin                                   YES               0               NO
         2              AU              app_user                                 NO               0               NO
         6              CO              officer2                                 NO               0               NO
Users on server 1(10.0.0.2):
Number of users found:5
"""
    users = cmu_text.users(text)
    assert users[0][0] == {"user_id": 1, "user_type": "PCO", "user_name": "admin", "mofn_pub_key": True,
                           "login_failure_count": 0, "two_fa": False}
    assert len(users[0]) == 3 and users[1] == []
    info = cmu_text.server_info("Id      Name                    Hostname         Port   State           "
                                "Partition               LoginState\n0       10.0.0.1                10.0.0.1"
                                "        2225    Connected       hsm-udw0tkfg1ab         Logged in as "
                                "'testuser(CU)'\n")
    assert info["partition"] == "hsm-udw0tkfg1ab" and info["login_state"] == "Logged in as 'testuser(CU)'"
    assert cmu_text.m_values("MValue of service 3[USER_MGMT] on server 0 : [2]\n"
                             "MValue of service 3[USER_MGMT] on server 1 : [2]\n") == {0: 2, 1: 2}
    tokens = cmu_text.tokens("\n=====================\n    Server 0(10.0.2.14)\n=====================\n"
                             "-------- Token - 0 ----------\nToken:\nId:1\nService:3\nNode:1\nKey Handle:0\n"
                             "User:officer1\nToken Validity: 506 sec\nRequired num of approvers : 2\n"
                             "Current num of approvals : 2\nApprover-0: officer1\nApprover-1: officer2\n"
                             "Num of tokens = 1\n")
    assert tokens[0][0]["Token Validity"] == "506" and tokens[0][0]["approvers"] == ["officer1", "officer2"]


def test_kmu_replies_in_the_documented_forms():
    reply = kmu_text.reply("Cfm3GenerateSymmetricKey returned: 0x00 : HSM Return: SUCCESS\n\n"
                           "Symmetric Key Created.  Key Handle: 524295\n\nCluster Error Status\n"
                           "Node id 0 and err state 0x00000000 : HSM Return: SUCCESS\n"
                           "Node id 2 status: 0x00000000 : HSM Return: SUCCESS\n", SERVERS)
    assert reply.ok and kmu_text.created_handle(reply.body) == 524295
    assert [(s.server, s.ip, s.status) for s in reply.nodes] == [(0, "10.0.2.14", "success"),
                                                                 (2, "10.0.3.6", "success")]
    pair = kmu_text.reply("Cfm3GenerateKeyPair: returned: 0x00 : HSM Return: SUCCESS\n"
                          "Cfm3GenerateKeyPair:    public key handle: 524294    private key handle: 524296\n",
                          SERVERS)
    assert pair.ok and kmu_text.created_pair(pair.body) == (524294, 524296)
    bad = kmu_text.reply("Cfm3Verify returned: 0x1b\n\nCSP Error: ERR_BAD_PKCS_DATA\n", SERVERS)
    assert bad.error("verify").reference == "signature-invalid"
    denied = kmu_text.reply("Cfm3DeleteKey returned: 0xc6 : HSM Error: Key Access is denied.\n", SERVERS)
    assert denied.error("deleteKey").reference == "key-access-denied"
    fips = kmu_text.reply("Cfm3GenerateKeyPair returned: 0xb3 : HSM Error: This operation violates the "
                          "current configured/FIPS policies\n\nCluster Error Status\nNode id 0 and err state "
                          "0x30000085 : HSM CLUSTER ERROR: Server in cluster is unavailable\n", SERVERS)
    assert fips.error("genECCKeyPair").reference == "fips-policy-violation"
    assert fips.nodes[0].error.reference == "hsm-unavailable"


def test_find_key_and_key_info_both_formats():
    old = "Total number of keys present 13\n\n number of keys matched from start index 0::12\n6, 7, 524296\n"
    new = ("Total number of keys present: 18\n\nNumber of matching keys from start index 0::17\n"
           "Handles of matching keys:\n6, 7, 524296\n")
    assert kmu_text.found_keys(old.splitlines()) == (13, [6, 7, 524296])
    assert kmu_text.found_keys(new.splitlines()) == (18, [6, 7, 524296])
    assert kmu_text.found_keys(["Total number of keys present 0", "", " number of keys matched from "
                                "start index 0::0", "", "Cfm3FindKey returned: 0x00 : HSM Return: SUCCESS"]) \
        == (0, [])
    info = kmu_text.key_info(["Cfm3GetKey returned: 0x00 : HSM Return: SUCCESS", "", "Owned by user 3", "",
                              "also, shared to following 2 user(s):", "", "4, 5",
                              " 2 Users need to approve to use/manage this key"])
    assert info == {"session": False, "owner": 3, "shared_with": [4, 5], "m_value": 2}


def test_error_texts_map_to_hsmshells_references():
    assert error_from_text("loginHSM failed: HSM Error: RET_USER_LOGIN_FAILURE").reference == "login-failed"
    assert error_from_code(0xDB, "HSM Error: Invalid User Type.").reference == "invalid-user-type"
    assert error_from_code(0xA8, "x").status == 1
    assert error_from_text("createUser failed: RET_MXN_AUTH_FAILED").status == 4
    assert error_from_text("HSM Error: The current logged in user is not authorized to do this "
                           "operation").status == 3
    assert error_from_text("something new").reference == "hsm-error"
