"""How CloudHSM CLI's commands look: rich tables for people (mixin of RichRenderer), and the
tool's own pretty-printed `{"error_code": ..., "data": ...}` (classic output, and
`emulate cloudhsm-cli`). The data shown is Result.wire, the tool's `data`."""

from __future__ import annotations

import json

SDK5_KINDS = ("sdk5", "sdk5_users", "sdk5_hsms", "sdk5_key", "sdk5_key_pair", "sdk5_keys",
              "sdk5_message", "sdk5_signature")


def cli_json(error_code: int, data) -> str:
    """The text cloudhsm-cli prints for one command (AWS's pages: indented, keys in order)."""
    return json.dumps({"error_code": error_code, "data": data}, indent=2, ensure_ascii=False)


def is_sdk5_command(command: str | None, table=None) -> bool:
    """CloudHSM CLI's commands are phrases (`user list`) or login/logout."""
    return bool(command) and (" " in command or command in ("login", "logout"))


class ClassicSdk5Views:
    """--output classic: what cloudhsm-cli itself prints."""

    def _view_sdk5(self, result) -> list[str]:
        return [cli_json(0, result.json_data())] if result.error is None else []

    _view_sdk5_users = _view_sdk5_hsms = _view_sdk5_key = _view_sdk5_key_pair = _view_sdk5
    _view_sdk5_keys = _view_sdk5_message = _view_sdk5_signature = _view_sdk5


class RichSdk5Views:
    def _view_sdk5(self, result) -> None:
        if result.error is not None:
            return
        data = result.json_data()
        if isinstance(data, str):
            self.console.print(f"[green]{_escape(data)}[/]")
        elif set(data) == {"message"}:
            self.console.print(f"[green]{_escape(data['message'])}[/]")
        else:
            self._key_values(None, data)     # untitled: a command name is no heading

    _view_sdk5_message = _view_sdk5

    def _view_sdk5_users(self, result) -> None:
        if result.error is not None:
            return
        table = self._sdk5_table("Users", ("username", "role", "locked", "mfa", "quorum", "cluster-coverage"))
        for user in result.json_data()["users"]:
            locked = "[red]true[/]" if user["locked"] == "true" else _escape(str(user["locked"]))
            table.add_row(_escape(user["username"]), _escape(str(user["role"])), locked,
                          _strategies(user["mfa"]), _strategies(user["quorum"]),
                          _escape(user["cluster-coverage"]))
        self.console.print(table)

    def _view_sdk5_hsms(self, result) -> None:
        if result.error is not None:
            return
        for number, hsm in enumerate(result.json_data()["hsms"]):
            self._key_values(f"HSM {number}", hsm)

    def _view_sdk5_key(self, result) -> None:
        if result.error is None:
            self._sdk5_key_table("Key", result.json_data()["key"])

    def _view_sdk5_key_pair(self, result) -> None:
        if result.error is None:
            data = result.json_data()
            self._sdk5_key_table("Public key", data["public_key"])
            self._sdk5_key_table("Private key", data["private_key"])

    def _view_sdk5_signature(self, result) -> None:
        if result.error is None:
            self._key_values(None, result.json_data())

    def _view_sdk5_keys(self, result) -> None:
        if result.error is not None:
            return
        data = result.json_data()
        keys = data["matched_keys"]
        verbose = any("key-info" in key for key in keys)
        columns = ("key-reference", "label") + (("key-type", "class", "owner", "shared with") if verbose else ())
        title = f"Keys: {data['returned_key_count']} of {data['total_key_count']}"
        if "next_token" in data:
            title += f" (more: --starting-token {data['next_token']})"
        table = self._sdk5_table(title, columns)
        for key in keys:
            attributes = key["attributes"]
            row = [key["key-reference"], _escape(attributes.get("label", ""))]
            if verbose:
                info = key.get("key-info", {})
                row += [attributes.get("key-type", ""), attributes.get("class", ""),
                        ", ".join(o["username"] for o in info.get("key-owners", [])),
                        ", ".join(u["username"] for u in info.get("shared-users", []))]
            table.add_row(*row)
        self.console.print(table)

    def _sdk5_key_table(self, title: str, key: dict) -> None:
        info = key.get("key-info", {})
        rows = {"key-reference": key["key-reference"],
                "owner": ", ".join(o["username"] for o in info.get("key-owners", [])),
                "shared-users": ", ".join(u["username"] for u in info.get("shared-users", [])) or "-",
                "quorum (manage/use)": "{manage-key-quorum-value}/{use-key-quorum-value}".format(
                    **info.get("key-quorum-values", {"manage-key-quorum-value": 0,
                                                     "use-key-quorum-value": 0})),
                **{name: value for name, value in key["attributes"].items()
                   if not isinstance(value, bool) or value}}
        self._key_values(title, rows)

    def _sdk5_table(self, title: str, columns: tuple[str, ...]):
        from rich.table import Table
        table = Table(title=_escape(title), title_justify="left")
        for column in columns:
            table.add_column(column)
        return table


def _strategies(entries: list) -> str:
    return ", ".join(f"{e['strategy']} ({e['status']})" for e in entries) or "-"


def _escape(text: str) -> str:
    from rich.markup import escape
    return escape(text)
