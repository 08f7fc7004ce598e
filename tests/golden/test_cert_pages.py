"""getCert's example sessions: cloudhsm_mgmt_util-getCert (server mode, the customer root)
and key_mgmt_util-getCert, on a cluster initialized with a CA (the customer root it holds)."""

from __future__ import annotations

import pytest

from aws_pages import Values, assert_session, run_tool, typed_lines
from page_text import PAGE


@pytest.fixture
def initialized(home, capsys):
    """A cluster of two HSMs initialized with a self-signed customer CA, activated, with a CU."""
    import time

    from hsmshell.cli import main
    from hsmshell.clusters import create_emulated_cluster
    create_emulated_cluster(home / "clusters" / "default", "default", 2, time.time, initialized=False)
    assert main(["--home", str(home), "--json", "cluster", "initialize", "default", "--self-signed"]) == 0
    capsys.readouterr()
    return home


def test_cmu_get_cert_in_server_mode(monkeypatch, initialized, tmp_path):
    """https://docs.aws.amazon.com/cloudhsm/latest/userguide/cloudhsm_mgmt_util-getCert.html"""
    cert = tmp_path / "PO.crt"
    values = Values().add("/tmp/PO.crt", cert)
    text = PAGE[("cloudhsm_mgmt_util-getCert", 2)] + "\n" + PAGE[("cloudhsm_mgmt_util-getCert", 3)]
    screen = run_tool(monkeypatch, initialized, "cmu", typed_lines(text), values=values)
    assert_session(screen, text, values.screen, values.page)
    anchor = next((initialized / "clusters" / "default").glob("customerCA.crt"))
    assert cert.read_text() == anchor.read_text()            # type 4: the customer root


def test_kmu_get_cert(monkeypatch, initialized, tmp_path):
    """https://docs.aws.amazon.com/cloudhsm/latest/userguide/key_mgmt_util-getCert.html"""
    run_tool(monkeypatch, initialized, "cmu", ["loginHSM PRECO admin password",
                                               "changePswd PRECO admin co12345", "y",
                                               "createUser CU user3 user3-pass1", "y"])
    monkeypatch.chdir(tmp_path)
    text = PAGE[("key_mgmt_util-getCert", 2)]
    screen = run_tool(monkeypatch, initialized, "kmu", typed_lines(text), ["loginHSM -u CU -s user3 -p user3-pass1"])
    assert_session(screen, text)
    assert (tmp_path / "userRoot.crt").read_text().startswith("-----BEGIN CERTIFICATE-----")
    # the manufacturer's chain: the hardware certificate is issued by the root
    run_tool(monkeypatch, initialized, "kmu", ["getCert -f root.crt -s 1", "getCert -f hw.crt -s 2",
                                               "getCert -f hsm.crt -s 16"])
    from cryptography import x509
    root, hardware, partition = (x509.load_pem_x509_certificate((tmp_path / n).read_bytes())
                                 for n in ("root.crt", "hw.crt", "hsm.crt"))
    hardware.verify_directly_issued_by(root)
    partition.verify_directly_issued_by(hardware)
