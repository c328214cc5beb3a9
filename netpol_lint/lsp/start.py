"""The server's start: the workspace is read while the LSP libraries are imported.

A client's first message is ``initialize``, and it names the workspace folder.  Read here
with the standard library alone (``read_message``), it lets the workspace load begin at once
(``preload``): the parse workers are forked and parse while this process imports pygls and
lsprotocol (~0.4 s of CPU, a third of what the CLI spends on the whole of ../shared/corpus),
then this process parses its share.  The message is handed to pygls as if it had never been
read (``Replay``); nothing is sent before pygls answers it, so the protocol is unchanged.
Any other first message (or none, or a malformed one) is handed on the same way, and the
workspace is then loaded at ``initialized`` as before.  No LSP types here.
"""
from __future__ import annotations

import io
import json
import os
from dataclasses import dataclass
from typing import Any, BinaryIO, Callable

from pygls.uris import to_fs_path      # a plain module: no lsprotocol

from ..options import Options
from .state import RunResult, Workspace

MAX_FIRST_MESSAGE = 64 << 20          # bytes of a first message read here; a larger one is left to pygls


def read_message(stream: BinaryIO) -> tuple[bytes, dict | None]:
    """The first message on ``stream``: its bytes exactly as read, and its JSON object (None
    when the stream ended, the header has no usable Content-Length or the body is not a JSON
    object)."""
    raw: list[bytes] = []
    length = None
    while True:
        line = stream.readline(65536)
        raw.append(line)
        if not line or not line.endswith(b"\n"):
            return b"".join(raw), None        # end of input, or a header line too long to be one
        if not line.strip():
            break
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            try:
                length = int(value.strip())
            except ValueError:
                length = None
    if length is None or not 0 <= length <= MAX_FIRST_MESSAGE:
        return b"".join(raw), None
    body = stream.read(length)
    raw.append(body)
    try:
        msg = json.loads(body)
    except ValueError:
        msg = None
    return b"".join(raw), msg if isinstance(msg, dict) else None


class Replay:
    """A binary input that gives ``prefix`` first, then what ``stream`` gives (``readline`` and
    ``read``: what pygls reads with)."""

    def __init__(self, prefix: bytes, stream: BinaryIO):
        self._prefix: io.BytesIO | None = io.BytesIO(prefix) if prefix else None
        self._stream = stream

    def _spent(self) -> None:
        if self._prefix is not None and self._prefix.tell() >= len(self._prefix.getbuffer()):
            self._prefix = None

    def readline(self, size: int | None = -1) -> bytes:
        size = -1 if size is None else size
        if self._prefix is None:
            return self._stream.readline(size)
        line = self._prefix.readline(size)
        self._spent()
        if line.endswith(b"\n") or 0 <= size <= len(line):
            return line
        return line + self._stream.readline(-1 if size < 0 else size - len(line))

    def read(self, size: int | None = -1) -> bytes:
        size = -1 if size is None else size
        if self._prefix is None:
            return self._stream.read(size)
        data = self._prefix.read(size)
        self._spent()
        if size < 0:
            return data + self._stream.read()
        if len(data) < size:
            data += self._stream.read(size - len(data))
        return data


def root_of(folder_uris, root_uri: Any, root_path: Any) -> str:
    """The workspace root of ``initialize``: the first workspace folder, else ``rootUri``, else
    ``rootPath``, else the working directory."""
    for uri in folder_uris or ():
        path = to_fs_path(uri) if isinstance(uri, str) else None
        if path:
            return path
    if isinstance(root_uri, str) and root_uri:
        path = to_fs_path(root_uri)
        if path:
            return path
    return root_path if isinstance(root_path, str) and root_path else os.getcwd()


def initialize_root(message: dict | None) -> str | None:
    """The root an ``initialize`` request names (None for any other message)."""
    if not message or message.get("method") != "initialize" or "id" not in message:
        return None
    params = message.get("params")
    if not isinstance(params, dict):
        return None
    folders = params.get("workspaceFolders")
    uris = [f.get("uri") for f in folders if isinstance(f, dict)] if isinstance(folders, list) else []
    return root_of(uris, params.get("rootUri"), params.get("rootPath"))


def drop_generated_sources() -> None:
    """Forget the source text attrs and cattrs keep in ``linecache`` for every method and
    converter they generate (for tracebacks and debuggers to show): 1.4 MB of strings for
    lsprotocol's classes, which a server never shows (such a frame is printed without its
    source line).  Only their entries: ``linecache`` is otherwise left alone."""
    import linecache
    for key in [k for k in linecache.cache if k.startswith(("<attrs generated", "<cattrs generated"))]:
        del linecache.cache[key]


@dataclass
class Preloaded:
    """A workspace loaded before the server ran: the lint run, or the error that stopped it."""

    workspace: Workspace
    result: RunResult | None = None
    error: Exception | None = None


def preload(message: dict | None, options: Options, meanwhile: Callable[[], None]) -> Preloaded | None:
    """The workspace ``message`` (an ``initialize`` request) names, loaded and linted, with
    ``meanwhile`` called while the parse workers work; None when ``message`` names none.
    Errors are kept for ``initialized`` to report, as if the load had happened there."""
    root = initialize_root(message)
    if root is None or not os.path.isdir(root):
        return None
    ws = Workspace(root, options)
    try:
        return Preloaded(ws, ws.load(meanwhile=meanwhile))
    except Exception as exc:       # a bad config, an unknown rule ...: reported at ``initialized``
        return Preloaded(ws, error=exc)
