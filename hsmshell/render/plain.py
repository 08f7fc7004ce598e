"""A readable fallback for results without a dedicated view (help, whoami, status...)."""

from __future__ import annotations


def plain_lines(result) -> list[str]:
    lines = []
    if "message" in result.data:
        lines.append(str(result.data["message"]))
    for key, value in result.data.items():
        if key == "message":
            continue
        if isinstance(value, list):
            lines.append(f"{key}:")
            for item in value:
                lines.append("  " + (", ".join(f"{k}={v}" for k, v in item.items())
                                     if isinstance(item, dict) else str(item)))
        else:
            lines.append(f"{key}: {value}")
    for status in result.servers:
        state = "success" if status.error is None else f"failed: {status.error.message}"
        lines.append(f"{result.command} {state} on server {status.server}({status.ip})")
    return lines
