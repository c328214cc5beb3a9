"""Small text helpers the loader, the fast parser and the origin mapping share.

A module of its own so that ``fastparse`` and ``origins`` use them without importing the
loader (which imports ``fastparse``: no cycle) and without private names across modules.
"""
from __future__ import annotations

import re

_SOURCE_RE = re.compile(r"^# Source: (\S.*?)\s*$", re.M)


class TextFrom:
    """A read-only stream over ``text[start:end]`` that libyaml pulls in pieces (no copy)."""

    def __init__(self, text: str, start: int, end: int | None = None):
        self._text = text
        self._pos = start
        self._end = len(text) if end is None else end

    def read(self, size: int = -1) -> str:
        end = self._end if size is None or size < 0 else min(self._pos + size, self._end)
        out = self._text[self._pos:end]
        self._pos += len(out)
        return out


def helm_sources(text: str) -> list[tuple[int, str]]:
    """(line, chart path) of each ``# Source:`` comment in a rendered Helm stream (one pass)."""
    out = []
    line, pos = 0, 0
    for m in _SOURCE_RE.finditer(text):
        line += text.count("\n", pos, m.start())
        pos = m.start()
        out.append((line, m.group(1)))
    return out
