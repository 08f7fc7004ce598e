"""Human output into a pipe: nothing wrapped or cut at 80 columns, tables as one line per
record; on a terminal, the terminal's width. --output classic separates fields with a tab."""

from __future__ import annotations

import io

from hsmshell.render import make_renderer


def rich(harness, line: str) -> str:
    """The line's rich output as a pipe gets it (stdout is a StringIO: not a terminal)."""
    outcome = harness.shell.run(line, "t")
    env = harness.env(output="rich")
    make_renderer(env).result(outcome.result, "t")
    return env.stdout.getvalue()


def test_a_pipe_gets_whole_lines_and_one_line_per_record(activated):
    activated.ok("createUser CU alice alicepass1")
    activated.ok("logoutHSM")
    activated.ok("loginHSM CU alice alicepass1")
    label = "a-label-long-enough-to-push-the-line-well-past-eighty-columns-of-a-terminal"
    made = rich(activated, f"genRSAKeyPair -m 2048 -e 65537 -l {label}")
    assert any(label in line and "private key handle" in line for line in made.splitlines()), made
    users = rich(activated, "listUsers").splitlines()
    assert not any(set(line) & set("┏┃━│└") for line in users)          # no borders
    header = next(i for i, line in enumerate(users) if line.startswith("User Id"))
    assert users[header + 3].split()[:3] == ["3", "CU", "alice"]        # one row, one line
    assert all(line == line.rstrip() for line in users)


def test_cluster_ids_are_never_cut_in_a_pipe(activated, capsys):
    from hsmshell.cli import main
    activated.close()
    home = str(activated.home)
    main(["--home", home, "--json", "cluster", "describe", "default"])
    import json
    data = json.loads(capsys.readouterr().out)["data"]
    main(["--home", home, "cluster", "describe", "default"])
    shown = capsys.readouterr().out
    for hsm in data["hsms"]:
        assert hsm["eni"] in shown and hsm["hsm"] in shown
    assert "…" not in shown


def test_a_terminal_gets_its_width(harness):
    from hsmshell.render.consoles import make_console
    env = harness.env(output="rich")
    console = make_console(env, io.StringIO(), is_terminal=True)
    assert console.width < 1000                  # the terminal's (80 without one to ask)


def test_classic_audit_show_separates_fields_with_a_tab_and_keeps_empty_ones(activated, capsys):
    from hsmshell.cli import main
    activated.close()
    main(["--home", str(activated.home), "--output", "classic", "audit", "show"])
    rows = [line.split("\t") for line in capsys.readouterr().out.splitlines()]
    assert {len(row) for row in rows} == {7}
    assert ["loginHSM PRECO admin ********", "allowed", "ok"] in [row[4:] for row in rows]


def test_listings_are_one_table_with_the_hsms_that_have_each_row(activated):
    activated.ok("createUser CU bob bobpass12")
    shown = rich(activated, "listUsers")
    assert shown.count("User Id") == 1 and "Users · the same on servers 0, 1, 2" in shown
    assert [line.split()[-1] for line in shown.splitlines() if "bob" in line] == ["all"]
    conn = activated.shell.db.conn
    hsms = [row[0] for row in conn.execute("SELECT hsm_id FROM hsms ORDER BY server")]
    conn.execute("DELETE FROM users WHERE hsm_id = ? AND name = 'bob'", (hsms[2],))      # drift
    activated.ok("logoutHSM")
    activated.run("loginHSM CU bob wrongpass1")                 # a failure counted where bob is
    shown = rich(activated, "listUsers")
    assert "# Users · servers 0, 1, 2\n" in shown
    bob = [line for line in shown.splitlines() if " bob " in line]
    assert len(bob) == 1 and bob[0].endswith("servers 0, 1 only")
    assert "The HSMs differ" in shown and "cluster diff" in shown
    activated.ok("loginHSM CO admin officer1pw")
    for command in ("findAllKeys", "listTokens"):
        assert rich(activated, command).count("HSMs") == 1, command


def test_sdk5_results_are_not_titled_with_their_command(activated):
    """Issue 17 item 10 holds for the CloudHSM CLI words too: `# login` is no heading."""
    shown = rich(activated, "user list")
    assert "# Users" in shown
    activated.ok("logout")
    shown = rich(activated, "login --username admin --role admin --password officer1pw")
    assert "# login" not in shown and "username" in shown, shown
