"""--output json: exactly one JSON object per command, one per line, on stdout. No rich import."""

from __future__ import annotations

from hsmshell import jsontext
from hsmshell.render.base import BaseRenderer
from hsmshell.status import ExitStatus


class JsonRenderer(BaseRenderer):
    def _emit(self, obj: dict) -> None:
        self._write_out(jsontext.line(obj) + "\n")

    def result(self, result, source: str) -> None:
        if result.error is not None and result.error.keeps_data:
            self._emit({"command": result.command, "source": source,        # data: what was made
                        "error_code": int(result.error.status), "data": result.json_data(),
                        "error": result.error.to_dict()})
            return
        if result.error is not None:
            self.error(result.error, result.command, source, servers=result.json_data().get("servers"))
            return
        self._emit({"command": result.command, "source": source,
                    "error_code": int(ExitStatus.SUCCESS), "data": result.json_data(), "error": None})

    def error(self, error, command, source: str, servers=None) -> None:
        body = error.to_dict()
        if servers:
            body["servers"] = servers
        self._emit({"command": command, "source": source, "error_code": int(error.status),
                    "data": None, "error": body})
        if error.reference == "internal-error":
            self.err(self.error_line(error, command, source))   # where the crash report is

    def caution(self, command: str, what: str | None = None) -> None:
        from hsmshell.render.text import CAUTION_BANNER
        self.err(CAUTION_BANNER)                 # stdout is for JSON only

    def note(self, text: str) -> None:
        self.err(text)

    def question(self, text: str) -> str:
        return text
