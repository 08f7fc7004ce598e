"""More of key_mgmt_util's page sessions: masked objects, and the sessions that contradict
themselves or the other pages, each reproduced with named corrections (docs/real-tools.md's
table). The page's URL is https://docs.aws.amazon.com/cloudhsm/latest/userguide/<page>.html."""

from __future__ import annotations

import re
import textwrap
import time

from hsmshell.clusters import create_emulated_cluster

from aws_pages import Values, fixed, kmu_handles, masked, run_tool, typed_lines
from test_kmu_pages import check, cmu_users, login, page


def test_masked_objects(monkeypatch, crypto_users, cluster_of, workdir, tmp_path):
    """https://docs.aws.amazon.com/cloudhsm/latest/userguide/key_mgmt_util-extractMaskedObject.html,
    https://docs.aws.amazon.com/cloudhsm/latest/userguide/key_mgmt_util-insertMaskedObject.html:
    a key masked to a file and inserted back as a new key (three HSMs); then the same file
    refused by another cluster (AWS's pages show no refusal: hsmshell's code and text)."""
    home = crypto_users(3, 1)
    handle, = kmu_handles(monkeypatch, home, [login("user3"), "genSymKey -t 31 -s 32 -l k1 -nex"])
    text = page("key_mgmt_util-extractMaskedObject", 2) + "\n\n" + page("key_mgmt_util-insertMaskedObject", 2)
    check(monkeypatch, home, text, [login("user3")], Values(_524295=handle).created(262433))
    other = tmp_path / "other"
    create_emulated_cluster(other / "clusters" / "default", "default", 1, time.time)
    cmu_users(monkeypatch, other, "CU user3")
    screen = run_tool(monkeypatch, other, "kmu", ["insertMaskedObject -f maskedObj"], [login("user3")])
    assert screen.splitlines()[1:4] == [
        "", "\tCfm3InsertMaskedObject returned: 0xff : HSM Error: the masked object was not made by this "
            "cluster, or was altered", ""]


# -- sessions that contradict themselves or the other pages, each with a named correction ----------
# findKey -u 4 on the getKeyInfo pages: KMU's page prints no blank line after the command (5 of
# the 8 findKey sessions do); CMU's lists ten handles under counts of eight (`8`, `0::7`): the two
# it adds, 262177 and 262179, are the keys the CMU page makes later; KMU's page lists the eight.
FIND_NO_BLANK = ("findKey -u 4\nTotal", "findKey -u 4\n\nTotal")
TEN_FOR_EIGHT = (", 21, 262177, 262179\n", ", 21\n")


def test_find_key_shared_with_a_user(monkeypatch, crypto_users):
    """https://docs.aws.amazon.com/cloudhsm/latest/userguide/key_mgmt_util-getKeyInfo.html and
    https://docs.aws.amazon.com/cloudhsm/latest/userguide/cloudhsm_mgmt_util-getKeyInfo.html:
    findKey -u 4 lists the eight keys user 3 shares with user 4 (one HSM), not its others."""
    home = crypto_users(1, 2)
    shown = (11, 12, 262159, 262161, 262162, 19, 20, 21)
    made = kmu_handles(monkeypatch, home, [login("user3"), "genSymKey -t 31 -s 32 -l not-shared"] +
                       [f"genSymKey -t 31 -s 32 -l k{h} -u 4" for h in shown])
    values = Values(**{f"_{h}": made[1 + i] for i, h in enumerate(shown)})
    check(monkeypatch, home, fixed(page("key_mgmt_util-getKeyInfo", 5), FIND_NO_BLANK), [login("user3")], values)
    check(monkeypatch, home, fixed(page("cloudhsm_mgmt_util-getKeyInfo", 5), TEN_FOR_EIGHT), [login("user3")],
          values)


# genECCKeyPair's FIPS refusal: the node line says the node is unavailable (0x30000085) under a
# `returned` line that says the node refused the curve (0xb3); the node reports the refusal.
FIPS_NODE = ("err state 0x30000085 : HSM CLUSTER ERROR: Server in cluster is unavailable",
             "err state 0x000000b3 : HSM Error: This operation violates the current configured/FIPS policies")


def test_gen_ecc_key_pair_refused_by_fips(monkeypatch, crypto_users):
    """https://docs.aws.amazon.com/cloudhsm/latest/userguide/key_mgmt_util-genECCKeyPair.html:
    curve 1 (P-192) refused by a FIPS-mode HSM."""
    home = crypto_users(1, 1)
    check(monkeypatch, home, fixed(page("key_mgmt_util-genECCKeyPair", 5), FIPS_NODE), [login("user3")])


# KMU's listAttributes page is the minority of the three KMU lists: no `Description` header
# (`getAttributes:` in its own line) and no OBJ_ATTR_ID or OBJ_ATTR_SENSITIVE.
KMU_LIST_HEADER = ("\nFollowing are the possible attribute values for getAttributes:\n",
                   "\nDescription\n===========\nThe following are all of the possible attribute values for "
                   "getAttributes.\n")
KMU_LIST_ROWS = ("= 256\n", "= 256\n      OBJ_ATTR_ID                     = 258\n"
                 "      OBJ_ATTR_SENSITIVE              = 259\n")


def test_kmu_list_attributes_page(monkeypatch, cluster_of):
    """https://docs.aws.amazon.com/cloudhsm/latest/userguide/key_mgmt_util-listAttributes.html,
    in the form of KMU's getAttribute page (the majority)."""
    check(monkeypatch, cluster_of(1), fixed(page("key_mgmt_util-listAttributes", 2), KMU_LIST_HEADER, KMU_LIST_ROWS))


# exSymKey's greps over two -a 512 files: the second greps OBJ_ATTR_KEY_TYPE but shows (and its
# comment wants) OBJ_ATTR_EXTRACTABLE, and two flags are shown four bytes wide where every
# other page's file (and these files' other flags) holds one byte.
GREP_PATTERN = ('grep -A 1 "OBJ_ATTR_KEY_TYPE" attributes/attr_8', 'grep -A 1 "OBJ_ATTR_EXTRACTABLE" attributes/attr_8')
FLAG_WIDTH = ("0x00000001", "0x01")


def test_ex_sym_key_checks_the_attribute_files(monkeypatch, crypto_users, workdir):
    """https://docs.aws.amazon.com/cloudhsm/latest/userguide/key_mgmt_util-exSymKey.html:
    the -a 512 files of the key to export and of the session wrapping key (getAttribute -out),
    then the page's greps over them."""
    home = crypto_users(2, 1)
    aes8, = kmu_handles(monkeypatch, home, [login("user3"), "genSymKey -t 31 -s 32 -l aes8"])
    name = "key_mgmt_util-exSymKey"
    made = typed_lines(page(name, 3)) + page(name, 4).splitlines()      # in one login: a session key
    run_tool(monkeypatch, home, "kmu", made, [login("user3")], values=Values(_8=aes8).created(262168))
    text = fixed(textwrap.dedent(page(name, 5)), GREP_PATTERN, FLAG_WIDTH)
    expected, shown = [], []
    for line in text.splitlines():
        line = line.strip()
        grep = re.match(r'^\$\s+grep -A 1 "(\w+)" (\S+)$', line)
        if grep:
            lines = (workdir / grep.group(2)).read_text().splitlines()
            shown += [row for i, row in enumerate(lines) for hit in [lines[i - 1] if i else ""]
                      if grep.group(1) in row or grep.group(1) in hit]
        elif line and not line.startswith("//"):
            expected.append(line)
    assert masked("\n".join(shown)) == masked("\n".join(expected))
