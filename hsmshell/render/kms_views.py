"""How `hsmshell kms ...` results look: the readiness check as a table of requirements (met,
what was found, the command that fixes it), key stores as KMS lists them, keys by KeyState.
Mixed into RichRenderer and ClassicRenderer; a Result's `kind` picks `_view_<kind>`."""

from __future__ import annotations

MARK = {True: "ok", False: "MISSING", None: "not checked"}


def check_lines(data: dict) -> list[str]:
    ready = ", ".join(f"{op}: {'ready' if ok else 'NOT ready'}" for op, ok in data["Ready"].items())
    lines = [f"Cluster {data['Cluster']} ({data.get('CloudHsmClusterId') or 'not found'})"
             + (f" for key store {data['CustomKeyStoreName']}" if data.get("CustomKeyStoreName") else ""),
             ready, ""]
    for row in data["Requirements"]:
        lines.append(f"[{MARK[row['Met']]:>11}] {row['Description']}: {row['Detail']}")
        if row["Met"] is False:
            why = row.get("ConnectionErrorCode") or row.get("Exception")
            if why:
                lines.append(f"{'':14}KMS: {why} (for {', '.join(row['NeededFor'])})")
            lines += [f"{'':14}fix: {fix}" for fix in row.get("Fix", []) if fix]
    unmet = data["Unmet"]
    lines += ["", f"{unmet} requirement(s) not met" if unmet else "Every requirement is met."]
    return lines


def store_lines(entry: dict) -> list[str]:
    state = entry["ConnectionState"] + (f" ({entry['ConnectionErrorCode']})" if entry.get("ConnectionErrorCode") else "")
    return [f"{entry['CustomKeyStoreName']} {entry['CustomKeyStoreId']} on {entry['CloudHsmClusterId']}: {state}",
            f"  created {entry['CreationDate']}, {entry.get('KmsKeyCount', 0)} KMS key(s)",
            f"  kmsuser password: {entry['KmsuserPasswordNote']}"]


def key_lines(meta: dict) -> list[str]:
    return [f"KMS key {meta['KeyId']}: {meta['KeyState']}", f"  Arn {meta['Arn']}",
            f"  key store {meta['CustomKeyStoreId']} on {meta['CloudHsmClusterId']}; material: AES-256 key "
            f"{meta['KmsBackingKeyHandle']} (id {meta['KmsBackingKeyId']}) owned by kmsuser"]


def crypto_lines(data: dict) -> list[str]:
    where = data.get("CiphertextFile") or data.get("PlaintextFile")
    if where:
        size = data.get("CiphertextBytes", data.get("PlaintextBytes"))
        head = f"wrote {size} bytes to {where}"
    else:
        head = data.get("CiphertextBlob") or data.get("Plaintext")
    return [head, f"  under {data['KeyId']} ({data['EncryptionAlgorithm']}, served by {data['KmsServedBy']})"]


def connect_lines(data: dict) -> list[str]:
    states = " -> ".join(data.get("States") or [data["ConnectionState"]])
    line = f"{data['CustomKeyStoreName']} ({data['CustomKeyStoreId']}): {states}"
    if data.get("KmsKeysUnavailable") is not None:
        line += f"; its {data['KmsKeysUnavailable']} KMS key(s) are Unavailable, nothing was deleted"
    return [line]


class KmsViews:
    """Shared by both text renderers: each view returns lines; `_kms_out` prints them."""

    def _view_kms_check(self, result):
        return self._kms_out(check_lines(result.data))

    def _view_kms_stores(self, result):
        entries = result.data["CustomKeyStores"]
        return self._kms_out([line for e in entries for line in store_lines(e)] or ["no custom key stores"])

    def _view_kms_store(self, result):
        return self._kms_out(store_lines(result.data))

    def _view_kms_store_created(self, result):
        return self._kms_out([f"CustomKeyStoreId: {result.data['CustomKeyStoreId']}"])

    def _view_kms_key(self, result):
        return self._kms_out(key_lines(result.data["KeyMetadata"]))

    def _view_kms_crypto(self, result):
        return self._kms_out(crypto_lines(result.data))

    def _view_kms_connect(self, result):
        return self._kms_out(connect_lines(result.data))

    def _view_kms_key_deletion(self, result):
        data = result.data
        lines = [f"{data['KeyId']}: {data['KeyState']} (DeletionDate {data['DeletionDate']})"]
        lines += [f"  backing key {s['backingKeyId']} (handle {s['keyHandle']}): deletion {s['deletionStatus']}"
                  for s in data.get("BackingKeysDeletionStatus", [])]
        return self._kms_out(lines)

    def _view_kms_key_state(self, result):
        return self._kms_out([f"{result.data['KeyId']}: {result.data['KeyState']}"])

    def _view_cluster_network(self, result):
        data = result.data
        free = ", ".join(f"{k}: {v}" for k, v in data["free_addresses"].items())
        return self._kms_out([data["message"], f"free addresses: {free}"])

    def _kms_out(self, lines: list[str]):
        if hasattr(self, "console"):             # rich: print here
            from rich.markup import escape
            for line in lines:
                self.console.print(escape(line), soft_wrap=True)
            return None
        return lines                             # classic: ClassicRenderer prints what views return
