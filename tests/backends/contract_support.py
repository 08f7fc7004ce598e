"""The contract between backends: the same lines on `--backend emulator` and on `--backend
cloudhsm` driving `hsmshell emulate cmu|kmu` must print the same JSON, once what differs by
nature is normalized: IPs and HSM ids (each cluster has its own), key handles (numbered in
order of appearance), KCVs (random keys), times, and error texts (only the reference is the
contract; the tools word their errors their own way)."""

from __future__ import annotations

import sys
from pathlib import Path

HANDLE_FIELDS = {"key_handle", "public_key_handle", "private_key_handle", "wrapping_key_handle"}
TIME_FIELDS = {"expires_at", "valid_seconds"}


def tool_environment(tools_home: Path) -> dict[str, str]:
    """What points the cloudhsm backend at the emulated tools on their own state dir."""
    python = sys.executable
    return {"HSMSHELL_CMU_COMMAND": f"{python} -m hsmshell emulate cmu --home {tools_home}",
            "HSMSHELL_KMU_COMMAND": f"{python} -m hsmshell emulate kmu --home {tools_home}",
            "HSMSHELL_CLOUDHSM_TIMEOUT": "120"}


class Normalizer:
    def __init__(self):
        self.names: dict[str, dict] = {"ip": {}, "hsm": {}, "handle": {}}

    def _alias(self, kind: str, value):
        if value is None or value in ("", 0):
            return value
        table = self.names[kind]
        return table.setdefault(value, f"<{kind}-{len(table)}>")

    def __call__(self, value, key: str | None = None):
        if isinstance(value, dict):
            if key == "error" and "reference" in value:
                kept = {"reference": value["reference"]}
                if "servers" in value:
                    kept["servers"] = self(value["servers"], "servers")
                return kept
            return {k: self(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [self(v, key) for v in value]
        if key == "ip":
            return self._alias("ip", value)
        if key in ("hsm", "node", "source_hsm", "destination_hsm"):
            return self._alias("hsm", value)
        if key in HANDLE_FIELDS or key == "key_handles":
            return self._alias("handle", value)
        if key == "kcv":
            return None if value is None else "<kcv>"
        if key in TIME_FIELDS:
            return "<time>"
        return value


def normalized(objects: list[dict]) -> list[dict]:
    return Normalizer()(objects)


def open_roles(folder: Path) -> Path:
    """Role files that allow every action and name no quorum services: the policy step lets
    everything through, so what is refused is refused by the HSM (or the backend)."""
    folder.mkdir(exist_ok=True)
    for role, aliases in (("PRECO", ""), ("CO", '"PCO"'), ("CU", ""), ("AU", ""), ("anonymous", "")):
        (folder / f"{role.lower()}.toml").write_text(
            f'role = "{role}"\naliases = [{aliases}]\nallow = ["*"]\n')
    return folder


# -- key scenarios run step by step (each backend fills in its own handles) ------------------------
KEY_CONTRACT_FIELDS = {"key_class", "key_type", "label", "extractable", "session", "mechanism",
                       "mechanism_id", "verified", "total", "attribute", "value", "name", "user",
                       "user_type", "m_value", "shared_with"}


def run_steps(harness_class, home: Path, steps, folder: Path, setup=(), **options) -> list[dict]:
    """Run (line template, name) steps in one in-process shell (a tests/conftest.py Harness);
    a template names earlier results as {name.field} ({name} alone: its key_handle), and
    {dir} is `folder`. Returns the JSON object of each step."""
    harness = harness_class(home, **options)
    try:
        for line in setup:
            harness.ok(line)
        found: dict[str, dict] = {}
        printed = []
        for template, name in steps:
            values = {"dir": str(folder), **{k: _Fields(v) for k, v in found.items()}}
            _, objects = harness.run(template.format(**values))
            printed.append(objects[-1])
            if name is not None:
                assert objects[-1]["error"] is None, (template, objects[-1])
                found[name] = objects[-1]["data"]
        return printed
    finally:
        harness.close()


class _Fields:
    def __init__(self, data: dict):
        self.data = data

    def __getattr__(self, field: str):
        return self.data[field]

    def __format__(self, spec: str) -> str:
        return str(self.data["key_handle"])


def key_contract(objects: list[dict]) -> list[dict]:
    """What both backends must agree on: command, exit class, error reference, and the
    contract fields of the data (findKey: its keys' kinds and labels; getAttribute: values)."""
    out = []
    for o in objects:
        data = o["data"] or {}
        kept = {k: v for k, v in data.items() if k in KEY_CONTRACT_FIELDS}
        if "keys" in data:
            kept["keys"] = sorted((k["key_class"], k["key_type"], k["label"]) for k in data["keys"])
        if "attributes" in data and o["command"] == "getAttribute":
            kept["attributes"] = [(a["id"], a["value"]) for a in data["attributes"]]
        if "key_handles" in data:
            kept["count"] = len(data["key_handles"])
        out.append({"command": o["command"], "error_code": o["error_code"],
                    "reference": (o["error"] or {}).get("reference"), "data": kept})
    return out
