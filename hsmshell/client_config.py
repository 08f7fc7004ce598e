"""The client configuration `configure -a <IP>` writes (the state dir's client.json), in the
layout of CMU's cloudhsm_mgmt_util.cfg: one `servers` entry per HSM, numbered 0..N-1 in the
order the cluster lists them, plus the cluster it belongs to. The shell uses that cluster
when neither --cluster nor $HSMSHELL_CLUSTER names one. Light: json only (read at start-up).
"""

from __future__ import annotations

import json
from pathlib import Path

from hsmshell.errors import ConfigError
from hsmshell import fileio

FILE_NAME = "client.json"
CMU_PORT = 2225


def path_in(home: Path) -> Path:
    return Path(home) / FILE_NAME


def read(home: Path) -> dict | None:
    try:
        text = path_in(home).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigError(f"cannot read {path_in(home)}: {exc.strerror}") from None
    try:
        config = json.loads(text)
    except ValueError:
        config = None
    if not isinstance(config, dict) or not isinstance(config.get("servers"), list):
        raise ConfigError(f"{path_in(home)} is not a client configuration",
                          hint="write it again: hsmshell configure -a <HSM IP>")
    return config


def configured_cluster(home: Path) -> str | None:
    config = read(home)
    return config.get("cluster") if config else None


def build(cluster: str, cluster_id: str, hsms: list, customer_ca: Path) -> dict:
    """`hsms`: the cluster's HSMs in server order (objects with hsm_id and ip)."""
    return {
        "cluster": cluster, "cluster_id": cluster_id,
        "scard": {"certificate": "cert-sc", "enable": "no", "pkey": "pkey-sc", "port": CMU_PORT},
        "servers": [{"server": number, "hsm": hsm.hsm_id, "hostname": hsm.ip, "name": hsm.ip,
                     "port": CMU_PORT, "enable": "yes", "server_ssl": "yes", "ssl_ciphers": "",
                     "e2e_encryption": {"enable": "yes", "owner_cert_path": str(customer_ca)}}
                    for number, hsm in enumerate(hsms)],
    }


def write(home: Path, config: dict) -> Path:
    target = path_in(home)
    fileio.write_file(target, (json.dumps(config, indent=4) + "\n").encode(), mode=fileio.PRIVATE,
                     atomic=True, what="client configuration")
    return target
