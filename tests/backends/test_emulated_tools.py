"""`hsmshell emulate cmu|kmu` beyond AWS's page sessions (tests/golden/ has those): KMU's
documented errors, singlecmd, CMU's config file, audit replay of the tools' sessions.

The tools run in this process on a piped stdin that echoes each line it hands out, so the
captured output reads as the terminal of AWS's documentation shows it (prompt, typed command,
answer). IPs are numbered in order of appearance on both sides, handles likewise.
"""

from __future__ import annotations

import io
import re
import sys

IP = re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b")
HANDLE = re.compile(r"(Key Handle: |key handle: )(\d+)")


class TypedInput(io.StringIO):
    """stdin as a terminal shows it: every line read appears on the screen (sys.stdout)."""

    def readline(self, *args) -> str:
        line = super().readline(*args)
        sys.stdout.write(line)
        return line


def screen(capsys, monkeypatch, home, tool: str, typed: str, *words: str) -> tuple[int, str]:
    from hsmshell.cli import main
    monkeypatch.setattr(sys, "stdin", TypedInput(typed))
    capsys.readouterr()
    status = main(["--home", str(home), "emulate", tool, *words])
    return status, normalized(capsys.readouterr().out)


def normalized(text: str) -> str:
    ips: dict[str, str] = {}
    text = IP.sub(lambda m: ips.setdefault(m.group(0), f"<ip{len(ips)}>"), text)
    handles: dict[str, str] = {}
    return HANDLE.sub(lambda m: m.group(1) + handles.setdefault(m.group(2), f"<h{len(handles)}>"), text)


def block(text: str) -> str:
    return normalized(text.strip("\n") + "\n")


def activated_lines(password: str = "officer1pw") -> str:
    return f"loginHSM PRECO admin password\nchangePswd PRECO admin {password}\ny\n"


def test_kmu_login_keys_and_documented_errors(capsys, monkeypatch, cluster_of):
    """KMU's errors that no page session shows (tests/golden/ has the page sessions)."""
    home = cluster_of(3)
    screen(capsys, monkeypatch, home, "cmu",
           activated_lines() + "createUser CU alice alicepw12\ny\ncreateUser CU bob bobpw1234\ny\nquit\n")
    status, out = screen(capsys, monkeypatch, home, "kmu",
                         "loginHSM -u CO -s admin -p officer1pw\n"
                         "loginHSM -u CU -s alice -p alicepw12\n"
                         "genSymKey -t 31 -s 32 -l aes256\n"
                         "getKeyInfo -k 999\n"
                         "exit\n")
    assert status == 0
    # AWS's key_mgmt_util pages: Error2String's 0xdb
    assert "Command: loginHSM -u CO -s admin -p officer1pw\n\n" \
           "Cfm3LoginHSM returned: 0xdb : HSM Error: Invalid User Type.\n" in out
    # an unknown handle: the lookup reports it, on every node (key_mgmt_util-deleteKey)
    assert block("""
Command: getKeyInfo -k 999

\tCfm3FindKey returned: 0xa8 : HSM Error: Invalid object handle is passed to this operation

\tCluster Error Status
\tNode id 0 and err state 0x000000a8 : HSM Error: Invalid object handle is passed to this operation
""") in out, out
    status, out = screen(capsys, monkeypatch, home, "kmu",
                         "loginHSM -u CU -s alice -p wrongpass\nexit\n")
    assert "Cfm3LoginHSM returned: 0xa3 : HSM Error: RET_USER_LOGIN_FAILURE\n" in out

    # the tools' sessions are audited like any other and replay exactly (the HSM side decides)
    from hsmshell.cli import main
    capsys.readouterr()
    assert main(["--home", str(home), "--json", "audit", "replay"]) == 0, capsys.readouterr().out


def test_kmu_singlecmd_runs_the_documented_command_line(capsys, monkeypatch, cluster_of):
    home = cluster_of(1)
    screen(capsys, monkeypatch, home, "cmu", activated_lines() + "createUser CU example_user example_pwd\ny\n")
    # AWS's key_mgmt_util pages, verbatim
    status, out = screen(capsys, monkeypatch, home, "kmu", "", "singlecmd", "loginHSM", "-u", "CU",
                         "-s", "example_user", "-p", "example_pwd", "genSymKey", "-l", "aes",
                         "-t", "31", "-s", "32", "-min_srv", "1", "-timeout", "1")
    assert status == 0, out
    assert "Symmetric Key Created.  Key Handle: <h0>\n" in out and "Command:" not in out
    status, out = screen(capsys, monkeypatch, home, "kmu", "", "singlecmd", "loginHSM", "-u", "CU",
                         "-s", "example_user", "-p", "wrong_pwd", "genSymKey", "-l", "aes", "-t", "31",
                         "-s", "32")
    assert status == 1 and "RET_USER_LOGIN_FAILURE" in out and "GenerateSymmetricKey" not in out


def test_cmu_config_file_chooses_the_servers_and_the_end_of_input_quits(capsys, monkeypatch, cluster_of,
                                                                       tmp_path):
    import json
    home = cluster_of(2)
    from hsmshell.cli import main
    capsys.readouterr()
    main(["--home", str(home), "--json", "cluster", "describe", "default"])
    ips = [h["ip"] for h in json.loads(capsys.readouterr().out)["data"]["hsms"]]
    config = tmp_path / "cloudhsm_mgmt_util.cfg"
    config.write_text(json.dumps({"servers": [{"hostname": ips[1], "name": ips[1], "port": 2225,
                                               "enable": "yes"}, {"hostname": "10.9.9.9"}]}))
    status, out = screen(capsys, monkeypatch, home, "cmu", "listUsers\n", str(config))
    assert status == 0
    assert "Connected to server '<ip0>'" in out and "Failed to connect to server '<ip1>'" in out
    assert "Users on server 1(<ip0>)" in out and "server 0(" not in out.split("listUsers")[1]
    assert out.endswith("aws-cloudhsm>\ndisconnecting from servers, please wait...\n")
