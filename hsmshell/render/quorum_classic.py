"""Quorum views in the text cloudhsm_mgmt_util prints (AWS's cloudhsm_mgmt_util pages).
A mixin of ClassicRenderer; the line builders are shared with the rich views."""

from __future__ import annotations

from hsmshell.render import classic


def token_lines(token: dict) -> list[str]:
    """CMU's token printout (getToken, listTokens). Node is the issuing HSM's server number."""
    node = token.get("node_server")
    return ["Token:", f"Id:{token['token_id']}", f"Service:{token['service']}",
            f"Node:{node if node is not None else token['node']}",
            f"Key Handle:{token['key_handle']}", f"User:{token['user']}"]


def m_value_line(data: dict, status) -> str:
    return f"MValue of service {data['label']} on server {status.server} : [{status.data['m_value']}]"


def signature_line(data: dict) -> str:
    return (f"signToken success: wrote the {data['signature_bytes']}-byte signature of token "
            f"{data['token_id']} (service {data['service']}) to {data['signature_file']}")


def failed_line(command: str, status) -> str:
    return f"{command} failed on {classic.server_label(status)}: {status.error.message}"


class ClassicQuorumViews:
    def _view_m_value(self, result) -> list[str]:
        return [m_value_line(result.data, s) if s.error is None else failed_line(result.command, s)
                for s in result.servers]

    def _view_token(self, result) -> list[str]:
        lines = []
        for status in result.servers:
            if status.error is not None:
                lines.append(failed_line(result.command, status))
                continue
            lines.append(f"getToken success on {classic.server_label(status)}")
            lines.extend(token_lines(result.data))
        return lines

    def _view_tokens(self, result) -> list[str]:
        lines = []
        for status in result.servers:
            rule = "====================="
            lines.extend(["", rule, f"    Server {status.server}({status.ip})", rule])
            if status.error is not None:
                lines.append(f"listTokens failed: {status.error.message}")
                continue
            for number, token in enumerate(status.data["tokens"]):
                lines.append(f"-------- Token - {number} ----------")
                lines.extend(token_lines(token))
                lines.append(f"Token Validity: {token['valid_seconds']} sec")
                lines.append(f"Required num of approvers : {token['approvals_required']}")
                lines.append(f"Current num of approvals : {token['approvals']}")
                lines.extend(f"Approver-{i}: {name}" for i, name in enumerate(token["approvers"]))
            lines.append(f"Num of tokens = {len(status.data['tokens'])}")
        lines.append("listTokens success" if result.error is None else "")
        return lines

    def _view_approval(self, result) -> list[str]:
        return self._view_per_server(result)

    def _view_signature(self, result) -> list[str]:
        return [signature_line(result.data)]
