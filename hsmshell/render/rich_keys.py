"""Key views for humans: rich tables of keys and attributes. A mixin of RichRenderer."""

from __future__ import annotations

from rich.markup import escape
from rich.table import Table

from hsmshell.model.key_attributes import class_name, display_value, type_name
from hsmshell.render import classic
from hsmshell.render.coverage import print_coverage

CREATED = {"genSymKey": "Symmetric key created", "imSymKey": "Symmetric key imported",
           "importPrivateKey": "Private key imported", "importPubKey": "Public key imported",
           "unWrapKey": "Key unwrapped", "insertMaskedObject": "Masked object inserted"}
WRITTEN = {"exSymKey": "Key written in plaintext to", "exportPrivateKey": "Private key (PEM) written to",
           "exportPubKey": "Public key (PEM) written to", "wrapKey": "Wrapped key written to",
           "aesWrapUnwrap": "Result written to", "sign": "Signature written to",
           "extractMaskedObject": "Masked object written to"}


def kind_of(key: dict) -> str:
    return f"{type_name(key['key_type'])} {class_name(key['key_class'])}"


class RichKeyViews:
    def _view_key_created(self, result) -> None:
        d = result.data
        self.console.print(f"[green]{CREATED[result.command]}:[/] handle [bold]{d['key_handle']}[/] "
                           f"({escape(kind_of(d))} key, label {escape(d['label'])})")
        self._key_details(result)

    def _view_key_pair_created(self, result) -> None:
        d = result.data
        self.console.print(f"[green]Key pair created:[/] public key handle [bold]{d['public_key_handle']}"
                           f"[/], private key handle [bold]{d['private_key_handle']}[/] "
                           f"({escape(type_name(d['key_type']))}, label {escape(d['label'])})")
        self._key_details(result)

    def _key_details(self, result) -> None:
        d = result.data
        facts = [f"owner user {d['owner']}", "session key" if d["session"] else "token key"]
        if d["shared_with"]:
            facts.append("shared with " + ", ".join(map(str, d["shared_with"])))
        if not d["extractable"]:
            facts.append("non-extractable")
        if d["kcv"]:
            facts.append(f"KCV {d['kcv']}")
        if d.get("attested"):
            facts.append("attestation check passed")
        self.console.print(f"  [dim]{escape('; '.join(facts))}[/]")
        self._view_per_server(result)       # one line per HSM: the key's copies

    def _view_keys_found(self, result) -> None:
        d = result.data
        table = Table(title=f"Keys you can use: {len(d['keys'])} matched of {d['total']}",
                      title_justify="left")
        for column, justify in (("Handle", "right"), ("Kind", "left"), ("Label", "left"),
                                ("Id", "left"), ("Token", "center"), ("Owner", "right"),
                                ("Access", "left")):
            table.add_column(column, justify=justify)
        for key in d["keys"]:
            table.add_row(str(key["key_handle"]), kind_of(key), escape(key["label"]),
                          escape(key["id"]), "session" if key["session"] else "token",
                          str(key["owner"]), key["access"])
        self.console.print(table)

    def _view_key_status(self, result) -> None:
        self._view_per_server(result)

    def _view_key_info(self, result) -> None:
        d = result.data
        self._key_values(f"Key {d['key_handle']}", {
            "class": class_name(d["key_class"]), "kind": "session key" if d["session"] else "token key",
            "owner": f"user {d['owner']}",
            "shared with": ", ".join(f"user {u}" for u in d["shared_with"]) or "nobody",
            "quorum (m_value)": d["m_value"] or "none"})

    def _view_key_attributes(self, result) -> None:
        d = result.data
        table = Table(title=f"Attributes of key {d['key_handle']}", title_justify="left")
        for column, justify in (("Id", "right"), ("Attribute", "left"), ("Value", "left")):
            table.add_column(column, justify=justify)
        for row in d["attributes"]:
            table.add_row(str(row["id"]), row["name"], escape(display_value(row["id"], row["value"])))
        self.console.print(table)
        if d["file"]:
            self.console.print(f"[dim]also written to {escape(d['file'])}[/]")

    def _view_attribute_ids(self, result) -> None:
        table = Table(title="Key attributes (getAttribute / setAttribute ids)", title_justify="left")
        table.add_column("Attribute")
        table.add_column("Id", justify="right")
        for row in result.data["attributes"]:
            table.add_row(row["name"], str(row["id"]))
        self.console.print(table)

    def _view_all_keys(self, result) -> None:
        user = result.data["user_id"]

        def rows(status):
            for key in status.data["keys"]:
                last = (", ".join(map(str, key["shared_with"])) if user is None
                        else "owned" if key["owned"] else "shared")
                yield (str(key["key_handle"]), kind_of(key), escape(key["label"]), str(key["owner"]), last)
        print_coverage(self.console, result, "Keys" + (f" of user {user}" if user is not None else ""),
                       [(c, "left") for c in ("Handle", "Kind", "Label", "Owner",
                                              "Shared with" if user is None else "Mark")], rows)
        hashes = {s.data["key_hash"] for s in result.servers if s.error is None and s.data.get("key_hash")}
        for key_hash in sorted(hashes):
            where = [s.server for s in result.servers if s.error is None and s.data.get("key_hash") == key_hash]
            self.console.print(f"  key hash: {key_hash}" + ("" if len(hashes) == 1 else f" (servers {where})"))

    def _view_key_file(self, result) -> None:
        d = result.data
        if d.get("default_iv"):
            self.note("Warning: IV (-i) is missing; the default A6A6A6A6A6A6A6A6 was used.")
        self.console.print(f"[green]{WRITTEN[result.command]}[/] {escape(d['file'])} "
                           f"({d['length']} bytes)")

    def _view_signature_verified(self, result) -> None:
        d = result.data
        self.console.print(f"[green]✓ Signature verification successful[/] (key {d['key_handle']}, "
                           f"{escape(d['mechanism'])})")
