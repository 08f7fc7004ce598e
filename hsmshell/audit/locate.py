"""Which audit log an `hsmshell audit ...` command reads, and which audit key it trusts.

The key is never the audit.pub lying beside a copied log (whoever rewrote the log could
have put their own there): it is the one given with `--key FILE` or `--key-fingerprint FP`,
else the current cluster's own audit.pub (docs/hardening.md says how an auditor checks a log
they were sent).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from hsmshell.audit.keys import VERIFY_KEY
from hsmshell.audit.log import LOG_NAME
from hsmshell.audit.verify import TrustAnchor
from hsmshell.errors import AuditKeyDamaged, ConfigError, InvalidArgument
from hsmshell import fileio
from hsmshell.record import record
from hsmshell.state.home import StateHome

MAX_KEY_FILE = 4096
FINGERPRINT_RE = re.compile(r"^([0-9a-f]{64})$")


@record(frozen=True)
class LogTarget:
    path: Path
    cluster_dir: Path | None        # the current cluster's folder, when it exists
    own: bool                       # the log is that cluster's own audit.log (head applies)
    trust: TrustAnchor | None       # the audit key checkpoints must be signed with

    @property
    def name(self) -> str:
        return str(self.path)


def locate_log(env, log: str | None, key: str | None = None, key_fingerprint: str | None = None) -> LogTarget:
    directory = StateHome(env.home).cluster_dir(env.cluster)
    has_cluster = directory.is_dir() and (directory / LOG_NAME).is_file()
    if log is None:
        if not has_cluster:
            raise ConfigError(f"no cluster named '{env.cluster}' in {env.home}",
                              hint="name a log file, or pick the cluster with --cluster")
        path, own = directory / LOG_NAME, True
    else:
        path = Path(log).expanduser()
        if not path.is_file():
            raise ConfigError(f"no audit log at {log}")
        own = has_cluster and _same_file(path, directory / LOG_NAME)
    trust = trust_anchor(directory if has_cluster else None, key, key_fingerprint)
    return LogTarget(path, directory if has_cluster else None, own, trust)


def trust_anchor(cluster_dir: Path | None, key: str | None, key_fingerprint: str | None) -> TrustAnchor | None:
    if key and key_fingerprint:
        raise InvalidArgument("give --key or --key-fingerprint, not both")
    if key:
        return TrustAnchor(f"--key {key}", key=_read_key_file(key))
    if key_fingerprint:
        text = key_fingerprint.strip().lower()
        text = text[len("sha256:"):] if text.startswith("sha256:") else text
        match = FINGERPRINT_RE.match(text.replace(":", ""))
        if not match:
            raise InvalidArgument(f"--key-fingerprint {fileio.shown(key_fingerprint)} is not a SHA-256 "
                                  f"fingerprint", hint="64 hexadecimal digits, optionally after sha256:, "
                                                       "as `audit verify` prints it")
        return TrustAnchor("--key-fingerprint", fingerprint="sha256:" + match.group(1))
    if cluster_dir is not None:
        public = cluster_dir / VERIFY_KEY
        try:
            raw = fileio.read_regular(public, 32, VERIFY_KEY, no_follow=True, error=AuditKeyDamaged)
        except AuditKeyDamaged:
            return None                 # the checkpoints then say what is missing
        if len(raw) == 32:
            return TrustAnchor(f"the cluster's {public}", key=raw)
    return None


def _read_key_file(path: str) -> bytes:
    """An Ed25519 public key: the 32 raw bytes of an audit.pub, or a PEM public key."""
    data = fileio.read_regular(Path(path).expanduser(), MAX_KEY_FILE, "audit key file", shown_as=path)
    if len(data) == 32:
        return data
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from hsmshell.model.key_formats import load_public_pem
    try:
        key = load_public_pem(data)
    except InvalidArgument:
        key = None
    if not isinstance(key, Ed25519PublicKey):
        raise InvalidArgument(f"the audit key file {fileio.shown_path(path)} is not an Ed25519 public key",
                              hint="a cluster's audit.pub (32 bytes) or a PEM public key")
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False
