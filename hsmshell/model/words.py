"""Counting words for messages: `1 key`, `2 keys` (never "1 keys")."""

from __future__ import annotations


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    return f"{count} {noun if count == 1 else (nouns or noun + 's')}"
