"""`hsmshell kms create-key|describe-key|encrypt|decrypt`: KMS keys in a CloudHSM key store.

A KMS key's material is one persistent, non-extractable AES-256 key that KMS generates in
the cluster while logged in as kmsuser: owned by kmsuser, labelled with the key's ARN, its
CKA_ID the backing key id, copied to every active HSM. Encrypt and Decrypt
run AES-256-GCM with that key, read from an active HSM holding it, into a ciphertext file:

    b"HSMKMS1" | key id (36 ASCII bytes) | 12-byte nonce | AES-GCM ciphertext and tag

with the first 43 bytes as associated data, so a blob names its key (Decrypt needs no key id,
as in KMS) and cannot be moved to another key undetected.
"""

from __future__ import annotations

import base64
import os
import re
import uuid
from pathlib import Path

from hsmshell.backends.emulator import kms_side
from hsmshell.backends.result import Result
from hsmshell.errors import BackendUnavailable, HsmshellError, InvalidArgument, NoSuchKey, NoSuchUser
from hsmshell.kms import connection, requirements as req
from hsmshell.kms.audited import on_cluster
from hsmshell.kms.errors import KmsException, invalid_state
from hsmshell.kms.keystores import advance, cluster_of, new_call, refuse_unmet, refuse_without_log, store_named
from hsmshell.kms.shapes import key_metadata, key_state
from hsmshell.kms.store import KmsDB, KmsKeyRow, key_arn
from hsmshell.quorum.userfiles import write_user_file

MAGIC = b"HSMKMS1"
HEADER = len(MAGIC) + 36
MAX_PLAINTEXT = 4096                 # KMS Encrypt takes at most 4 KiB
ALIAS_RE = re.compile(r"alias/[A-Za-z0-9/_-]{1,250}")


def create(env, store_name: str, description: str, alias: str | None = None) -> Result:
    call = new_call(env, "create-key", {"store": store_name, "description": description, "alias": alias})
    if len(description) > 8192:
        raise InvalidArgument("Description is at most 8192 characters")
    if alias is not None and not ALIAS_RE.fullmatch(alias) or (alias or "").startswith("alias/aws/"):
        raise InvalidArgument(f"an alias is alias/ and 1-250 letters, digits, '/', '_' or '-', not '{alias[:60]}'",
                              hint="alias/aws/ is reserved for AWS")
    with KmsDB(env.home) as kms:
        if alias is not None and kms.key(alias):
            raise KmsException("AlreadyExistsException", f"the alias {alias} is taken")
        store = store_named(kms, store_name, call)
        name = cluster_of(env, store)
        if name is None:
            refuse_without_log(call)
            raise invalid_state(store, "create-key", "CONNECTED")

        def work(cluster):
            effects: list = []
            advance(kms, store, cluster, name, effects)
            if store.state != "CONNECTED":
                raise invalid_state(store, "create-key", "CONNECTED")
            refuse_unmet(req.evaluate(cluster, name), ("two-hsms-two-azs",))
            key_id = str(uuid.uuid4())
            region = _region(cluster)
            call.actor = connection.as_kmsuser(cluster, store)
            made = kms_side.apply(cluster, {"do": "key", "label": key_arn(region, key_id),
                                            "key_id": key_id.replace("-", "")[:24]})
            effects.append(made)
            handle = made["handle"]
            key = KmsKeyRow(key_id, store.id, key_arn(region, key_id), description, cluster.clock(), True,
                            handle, key_id.replace("-", "")[:24], alias)
            kms.add_key(key)
            return Result("kms create-key", "kms_key", data={"KeyMetadata": key_metadata(key, store, region)},
                          replay={"KeyId": key_id, "effects": effects})
        return on_cluster(call, name, work)


def _region(cluster) -> str:
    from hsmshell.backends.emulator import network as vpc
    return vpc.load(cluster).get("region") or "us-east-1"


def describe(env, key_ref: str) -> Result:
    call = new_call(env, "describe-key", {"key_id": key_ref})
    with KmsDB(env.home) as kms:
        key = kms.key(key_ref)
        if key is None:
            raise KmsException("NotFoundException", f"no KMS key '{key_ref[:80]}'", "hsmshell kms describe")
        store = kms.store(key.store_id)
        refuse_without_log(call)
        region = key.arn.split(":")[3]
        return Result("kms describe-key", "kms_key", data={"KeyMetadata": key_metadata(key, store, region)})


# -- encrypt and decrypt ---------------------------------------------------------------------------
def encrypt(env, key_ref: str, plaintext: bytes, out: str | None) -> Result:
    if not 1 <= len(plaintext) <= MAX_PLAINTEXT:
        raise InvalidArgument(f"Plaintext is 1 to {MAX_PLAINTEXT} bytes, not {len(plaintext)}",
                              hint="KMS encrypts small secrets such as data keys; encrypt files with a data key")
    call = new_call(env, "encrypt", {"key_id": key_ref, "out": out, "plaintext_bytes": len(plaintext)})

    def crypt(key, material):
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
        header, nonce = MAGIC + key.key_id.encode("ascii"), os.urandom(12)
        blob = header + nonce + AESGCM(material).encrypt(nonce, plaintext, header)
        if out:
            _write(out, blob, private=False)
        data = {"KeyId": key.arn, "EncryptionAlgorithm": "SYMMETRIC_DEFAULT"}
        data.update({"CiphertextFile": str(out), "CiphertextBytes": len(blob)} if out
                    else {"CiphertextBlob": base64.b64encode(blob).decode("ascii")})
        return data
    return _use(env, call, key_ref, crypt, "kms encrypt")


def decrypt(env, blob: bytes, out: str | None, key_ref: str | None = None) -> Result:
    if len(blob) < HEADER + 12 + 16 or not blob.startswith(MAGIC):
        raise KmsException("InvalidCiphertextException", "this is not a ciphertext made by hsmshell kms encrypt")
    named = blob[len(MAGIC):HEADER].decode("ascii", "replace")
    call = new_call(env, "decrypt", {"key_id": named, "out": out, "ciphertext_bytes": len(blob)})

    def crypt(key, material):
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
        try:
            plaintext = AESGCM(material).decrypt(blob[HEADER:HEADER + 12], blob[HEADER + 12:], blob[:HEADER])
        except InvalidTag:
            raise KmsException("InvalidCiphertextException", "the ciphertext was changed, or its key's "
                               "material is not the material it was made with") from None
        data = {"KeyId": key.arn, "EncryptionAlgorithm": "SYMMETRIC_DEFAULT"}
        if out:
            _write(out, plaintext, private=True)
            data.update({"PlaintextFile": str(out), "PlaintextBytes": len(plaintext)})
        else:
            data["Plaintext"] = base64.b64encode(plaintext).decode("ascii")
        return data
    return _use(env, call, named, crypt, "kms decrypt", expected=key_ref)


def _use(env, call, key_ref: str, crypt, command: str, expected: str | None = None) -> Result:
    """Run `crypt(key row, material) -> data` with the key's material read as kmsuser from an
    active HSM, if the key may be used (KMS's rules: Enabled, store CONNECTED, an active HSM,
    the material in the cluster); else KMSInvalidStateException (DisabledException, NotFound)."""
    with KmsDB(env.home) as kms:
        key = kms.key(key_ref)
        if key is None:
            raise KmsException("NotFoundException", f"no KMS key '{key_ref[:80]}'", "hsmshell kms describe")
        wanted = kms.key(expected) if expected is not None else key
        if wanted is None or wanted.key_id != key.key_id:
            raise KmsException("IncorrectKeyException", f"the ciphertext was made under {key.key_id}, "
                               f"not {expected[:80]}")
        store = kms.store(key.store_id)
        call.store_id = key.store_id
        name = cluster_of(env, store) if store else None
        if name is None:
            refuse_without_log(call)
            raise _unusable(key, "its key store's cluster no longer exists")

        def work(cluster):
            effects: list = []
            advance(kms, store, cluster, name, effects)
            if store.state != "CONNECTED":
                raise _unusable(key, f"KeyState {key_state(key, store)}: key store {store.name} is {store.state}",
                                f"hsmshell kms connect {store.name}")
            if key.deletion_date is not None:
                raise _unusable(key, "KeyState PendingDeletion", f"hsmshell kms cancel-key-deletion --key-id {key.key_id}")
            if not key.enabled:
                raise KmsException("DisabledException", f"KMS key {key.key_id} is disabled",
                                   f"hsmshell kms enable-key --key-id {key.key_id}")
            call.actor = connection.as_kmsuser(cluster, store)
            copy, material = _material(cluster, key)
            data = crypt(key, material)
            data["KmsServedBy"] = copy.hsm_id
            return Result(command, "kms_crypto", data=data, replay={"effects": effects} if effects else {})
        return on_cluster(call, name, work)


def _material(cluster, key: KmsKeyRow):
    from hsmshell.backends.emulator.keystore import KeyStore
    store = KeyStore(cluster)
    try:
        copy = store.key(key.handle)
    except (NoSuchKey, NoSuchUser, BackendUnavailable) as exc:
        raise _unusable(key, "KMS cannot use the key's material: " + (
            "no active HSM" if not cluster.reachable_hsms() else "it is not on any active HSM"),
            f"hsmshell cluster diff {cluster.db.meta('cluster_name')} shows where it is missing") from exc
    return copy, store.material(copy)


def _unusable(key: KmsKeyRow, why: str, hint: str | None = None) -> HsmshellError:
    return KmsException("KMSInvalidStateException", f"KMS key {key.key_id} cannot be used: {why}", hint)


def _write(path: str, data: bytes, private: bool) -> None:
    # one helper for every file: non-regular targets and links refused (docs/hardening.md)
    write_user_file(path, data, private=private)


def read_input(text: str, env, what: str) -> bytes:
    """A plaintext or ciphertext argument: @file:PATH (or fileb://PATH), @env:VAR, or literal text."""
    from hsmshell.fileio import read_regular
    if text.startswith(("@file:", "fileb://", "file://")):
        path = text.split(":", 1)[1].removeprefix("//")
        limit = MAX_PLAINTEXT if what == "plaintext" else HEADER + 12 + MAX_PLAINTEXT + 16
        return read_regular(Path(path).expanduser(), limit, what, shown_as=path)
    if text.startswith("@env:"):
        name = text[5:]
        if name not in env.environ:
            raise InvalidArgument(f"environment variable {name} is not set")
        return env.environ[name].encode()
    return text.encode()
