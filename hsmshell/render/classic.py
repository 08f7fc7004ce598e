"""--output classic: the text cloudhsm_mgmt_util / key_mgmt_util print, so
scripts written against the real tools' output keep working."""

from __future__ import annotations

from hsmshell.render.base import BaseRenderer
from hsmshell.render.classic_keys import ClassicKeyViews
from hsmshell.render.cluster_views import ClassicClusterViews
from hsmshell.render.kms_views import KmsViews
from hsmshell.render.quorum_classic import ClassicQuorumViews
from hsmshell.render.sdk5_views import ClassicSdk5Views, cli_json, is_sdk5_command
from hsmshell.render.session_views import hsm_rows, status_summary, whoami_lines
from hsmshell.render.text import CAUTION_BANNER, PROGRESS

# getHSMInfo's fields in AWS's page order; None stands for a blank line between groups
HSM_INFO_ORDER = (None, "Label", "Model", None, "Serial Number", "HSM Flags", "FIPS state", None,
                  "Manufacturer ID", "Device ID", "Class Code", "System vendor ID", "SubSystem ID",
                  None, None, "TotalPublicMemory", "FreePublicMemory", "TotalPrivateMemory",
                  "FreePrivateMemory", None, "Hardware Major", "Hardware Minor", None,
                  "Firmware Major", "Firmware Minor", None, "Temperature", None, "Build Number",
                  None, "Firmware ID")
HEX_FIELDS = frozenset({"Class Code"})


def server_label(status) -> str:
    return f"server {status.server}({status.ip})"


def users_table(users: list[dict]) -> list[str]:
    lines = [f"Number of users found:{len(users)}", "",
             "    User Id             User Type       User Name                          MofnPubKey    "
             "LoginFailureCnt         2FA"]
    for u in users:
        # column positions measured from AWS's pages: most (createUser, deleteUser,
        # registerQuorumPubKey, getting started) show the 35-wide User Name column
        lines.append(f"{u['user_id']:>10}{'':14}{u['user_type']:<16}{u['user_name']:<33}"
                     f"{'YES' if u['mofn_pub_key'] else 'NO':>10}{u['login_failure_count']:>16}"
                     f"{'YES' if u['two_fa'] else 'NO':>17}")
    return lines


class ClassicRenderer(ClassicSdk5Views, KmsViews, ClassicQuorumViews, ClassicKeyViews, ClassicClusterViews,
                      BaseRenderer):
    def result(self, result, source: str) -> None:
        view = getattr(self, f"_view_{result.kind}", self._view_generic)
        lines = view(result)
        if lines:
            self.out("\n".join(lines))
        if result.error is not None:
            self.error(result.error, result.command, source)

    def error(self, error, command, source: str) -> None:
        if is_sdk5_command(command):                     # cloudhsm-cli prints JSON for errors too
            self.out(cli_json(1, error.message))
            return
        kmu = self.kmu_error_lines(error, command)       # KMU key commands: "Cfm3... returned: 0xc6 ..."
        if kmu:
            self.err("\n".join(kmu))
            return
        already = command and error.message.startswith(command)     # "createUser failed: ..."
        self.err(f"{command} failed: {error.message}" if command and not already else error.message)

    def caution(self, command: str, what: str | None = None) -> None:
        self.out(CAUTION_BANNER)

    def note(self, text: str) -> None:
        self.err(text)

    # -- views ---------------------------------------------------------------------------------
    def _view_per_server(self, result) -> list[str]:
        lines = []
        template = PROGRESS.get(result.command)
        if template and result.data:
            lines.append(template.format(nodes=len(result.servers), **result.data))
        else:
            lines.append("")
        for status in result.servers:
            if status.error is None:
                lines.append(f"{result.command} success on {server_label(status)}")
            else:
                lines.append(f"{result.command} failed on {server_label(status)}: {status.error.message}")
        return lines

    def _view_clear(self, result) -> list[str]:
        return []                              # text for a pipe or a log: nothing to clear

    def _view_whoami(self, result) -> list[str]:
        return whoami_lines(result.data)

    def _view_status(self, result) -> list[str]:
        return [*status_summary(result.data), "HSMs:",
                *("  server " + "  ".join(row) for row in hsm_rows(result.data))]

    def _view_users(self, result) -> list[str]:
        lines = []
        for status in result.servers:
            lines.append(f"Users on {server_label(status)}:")
            if status.error is not None:
                lines.append(f"listUsers failed: {status.error.message}")
                continue
            lines.extend(users_table(status.data["users"]))
        return lines

    def _view_server_info(self, result) -> list[str]:
        # widths as most of AWS's `info server` tables (changePswd, info pages) show them
        d = result.data
        return ["", "Id      Name                    Hostname         Port   State           "
                "Partition        LoginState",
                f"{d['server']:<8}{d['name']:<24}{d['hostname']:<16}{d['port']:<8}{d['state']:<16}"
                f"{d['partition']:<17}{d['login_state']}", ""]

    def _view_hsm_info(self, result) -> list[str]:
        lines = [f"Getting HSM Info on {len(result.servers)} nodes"]
        for status in result.servers:
            lines.append(f"\t\t*** Server {status.server} HSM Info ***")
            info = status.data.get("info", {})
            for key in HSM_INFO_ORDER:
                if key is None:
                    lines.append("")
                elif key in info:
                    value = info[key]
                    shown = f"{value:X}" if key in HEX_FIELDS and isinstance(value, int) else value
                    lines.append(f"\t{key:<21}:{shown}")
            lines.append("")
        return lines

    def _view_error_string(self, result) -> list[str]:
        return ["", result.data["message"]]          # as key_mgmt_util prints it

    def _view_cert_file(self, result) -> list[str]:
        return ["getCert Success"]                 # cloudhsm_mgmt_util-getCert

    def _view_generic(self, result) -> list[str]:
        from hsmshell.render.plain import plain_lines
        return plain_lines(result)
