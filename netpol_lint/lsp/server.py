"""The pygls language server: LSP in and out, over ``Workspace`` (state.py) and features.py.

* ``initialize``: the first workspace folder (else ``rootUri``, else the working directory)
  is the root; ``initialized`` loads it whole and publishes diagnostics for every file with
  findings, open or not.
* ``didOpen``/``didChange``: the buffer's text replaces the file; runs are debounced
  (``initializationOptions.debounceMs``, default 50 ms: a burst of keystrokes is one run)
  and publish only the files whose findings changed -- other files included (a policy edit
  unblocks a Deployment elsewhere), files whose findings are gone get an empty list.
* ``didClose``: the file on disk is the input again; ``didChangeWatchedFiles``: files
  changed, created or deleted outside the editor are read again.
* Requests (code actions, hover, definition, references) first finish a pending run, so
  they never answer from positions of a text the client no longer shows.

A failing run never takes the server down: the error goes to the client's log and the
previous diagnostics stay.
"""
from __future__ import annotations

import asyncio
import gc
import logging
import os
import sys
import traceback
from array import array
from collections import OrderedDict
from collections.abc import Sequence
from urllib.parse import unquote, urlparse

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path
from pygls.workspace.position_codec import PositionCodec

from .. import __version__
from ..engine.findings import Finding
from ..load.documents import Location
from ..options import Options
from ..report.sarif import help_uri
from . import features
from .start import Preloaded, drop_generated_sources, root_of
from .state import Workspace
from ..wording import count

SEVERITY = {"error": types.DiagnosticSeverity.Error, "warning": types.DiagnosticSeverity.Warning,
            "info": types.DiagnosticSeverity.Information}
DEFAULT_DEBOUNCE_MS = 50


class NetpolLanguageServer(LanguageServer):
    LINES_KEPT = 2               # non-ASCII files whose lines _file_lines keeps
    def __init__(self, options: Options, preloaded: Preloaded | None = None):
        super().__init__("netpol-lint", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.options = options
        self.ws: Workspace | None = None
        self.preloaded = preloaded                  # the workspace start.preload read (lsp/start.py)
        self.debounce = DEFAULT_DEBOUNCE_MS / 1000
        self._timer: asyncio.TimerHandle | None = None
        self._root = os.getcwd()
        self._ascii: dict[str, tuple[int, bool]] = {}                    # see _file_lines
        self._lines: OrderedDict[str, tuple[int, _Lines | None]] = OrderedDict()
        self.load_error: str | None = None
        self.codec = PositionCodec(types.PositionEncodingKind.Utf16)   # the negotiated one after initialize

    # -- paths and positions ------------------------------------------------------------
    def path_of(self, uri: str) -> str | None:
        """The display path of a ``file:`` URI (None for other schemes)."""
        if urlparse(uri).scheme != "file":
            return None
        fs = to_fs_path(uri) or unquote(urlparse(uri).path)
        return self.ws.display(fs) if self.ws is not None else None

    def uri_of(self, path: str) -> str:
        return from_fs_path(self.ws.absolute(path)) if self.ws is not None else from_fs_path(path)

    def _file_lines(self, path: str) -> _Lines | None:
        """The file's lines when positions need converting (a non-ASCII file and a client
        that does not count in code points), else None.  An ASCII file is recognised from its
        bytes, without decoding or keeping its text (the answer is kept per file).  The lines
        of the last few non-ASCII files are kept, and ``publish`` drops them: the lines of
        every non-ASCII file with findings, kept, and their texts in the loader's cache were
        6 MB on ../shared/corpus -- texts of files nobody opened, which the CLI does not hold
        (``read_text`` does not cache them)."""
        if self.codec.encoding == types.PositionEncodingKind.Utf32 or self.ws is None:
            return None
        src = self.ws.files.get(path)
        if src is None:
            return None
        known = self._ascii.get(path)
        if known is None or known[0] != id(src):
            known = self._ascii[path] = (id(src), _ascii_file(src))
        if known[1]:
            return None
        hit = self._lines.get(path)
        if hit is not None and hit[0] == id(src):
            self._lines.move_to_end(path)
            return hit[1]
        text = src.read_text()
        lines = _Lines(text) if text is not None else None
        self._lines[path] = (id(src), lines)
        while len(self._lines) > self.LINES_KEPT:
            self._lines.popitem(last=False)
        return lines

    def to_client(self, path: str, line: int, char: int) -> dict:
        lines = self._file_lines(path)
        if lines is None:
            return {"line": max(line, 0), "character": max(char, 0)}
        p = self.codec.position_to_client_units(lines, types.Position(line=line, character=char))
        return {"line": p.line, "character": p.character}

    def from_client(self, path: str, pos: types.Position) -> tuple[int, int]:
        lines = self._file_lines(path)
        if lines is None:
            return pos.line, pos.character
        p = self.codec.position_from_client_units(lines, types.Position(line=pos.line, character=pos.character))
        return p.line, p.character

    def range_of(self, loc: Location) -> dict:
        end_line = max(loc.end_line, loc.line)
        end_col = loc.end_column if end_line > loc.line else max(loc.end_column, loc.column + 1)
        return {"start": self.to_client(loc.file, loc.line - 1, loc.column - 1),
                "end": self.to_client(loc.file, end_line - 1, end_col - 1)}

    def location(self, loc: Location) -> dict | None:
        if self.ws is None or (loc.file not in self.ws.files and not os.path.isfile(self.ws.absolute(loc.file))):
            return None                # the Istio module's built-in policies, standard input ...
        return {"uri": self.uri_of(loc.file), "range": self.range_of(loc)}

    def structure(self, data, cls):
        return self.protocol._converter.structure(data, cls)

    # -- diagnostics ----------------------------------------------------------------------
    # Built as JSON-ready dicts and sent as such: lsprotocol's attrs objects and their cattrs
    # conversion cost ~0.3 s for the ~1,700 findings of ../shared/corpus at start.
    def diagnostic_json(self, f: Finding) -> dict:
        rule = self.ws.rule(f.rule)
        out = {"range": self.range_of(f.location), "severity": SEVERITY.get(f.severity, 2), "code": f.rule,
               "source": "netpol-lint", "message": f.message}
        if rule is not None:
            out["codeDescription"] = {"href": help_uri(rule)}
        related = []
        for r in f.related:
            where = self.location(r.location)
            if where is not None:
                related.append({"location": where, "message": r.message})
        if related:
            out["relatedInformation"] = related
        return out

    def diagnostic(self, f: Finding) -> types.Diagnostic:
        return self.structure(self.diagnostic_json(f), types.Diagnostic)

    def publish(self, paths) -> None:
        for path in paths:
            if path == "-" or os.path.isabs(path) and not path.startswith(self.ws.root):
                continue
            params = {"uri": self.uri_of(path), "diagnostics": [self.diagnostic_json(f) for f in self.ws.findings.get(path, ())]}
            version = self.ws.buffers.get(path)
            if version is not None:
                params["version"] = version
            send = getattr(self.protocol, "_send_data", None)
            if send is not None:         # the JSON as built (pygls 2.x); else through the types
                send({"jsonrpc": "2.0", "method": types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS, "params": params})
            else:
                self.text_document_publish_diagnostics(self.structure(params, types.PublishDiagnosticsParams))
        self._lines.clear()

    def run(self) -> None:
        """Lint now (if anything changed) and publish what changed."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self.ws is None or not self.ws.dirty or self.ws.config is None:
            return
        try:
            result = self.ws.lint()
        except Exception as exc:  # never take the editor's server down
            self.ws.dirty = False
            self.log(f"internal error: {type(exc).__name__}: {exc}\n{traceback.format_exc()}", types.MessageType.Error)
            return
        for msg in result.rule_errors:
            self.log(msg, types.MessageType.Error)
        self.publish(result.changed)

    def schedule(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        loop = asyncio.get_event_loop()
        self._timer = loop.call_later(self.debounce, self.run)

    def log(self, message: str, kind=types.MessageType.Info) -> None:
        self.window_log_message(types.LogMessageParams(type=kind, message=message))


class _Lines(Sequence):
    """A text's lines by number (what ``PositionCodec`` reads: ``lines[i]``, ``len``), as
    ``text.split("\\n")`` gives them but without a string per line: the 1 MB non-ASCII file
    of ../shared/corpus is 2 MB of text and was 2.3 MB more of lines."""

    __slots__ = ("text", "starts")

    def __init__(self, text: str):
        self.text = text
        starts = array("l", [0])
        find = text.find
        i = find("\n")
        while i >= 0:
            starts.append(i + 1)
            i = find("\n", i + 1)
        self.starts = starts

    def __len__(self) -> int:
        return len(self.starts)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        n = len(self.starts)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError(i)
        return self.text[self.starts[i]:self.starts[i + 1] - 1 if i + 1 < n else len(self.text)]


def _ascii_file(src) -> bool:
    """True when the file's characters are all ASCII (positions are the same in every encoding)."""
    if src._text is not None:
        return src._text.isascii()
    origin = src._origin
    if origin is None:
        return True                   # nothing was read: whole-file findings at line 1
    try:
        with open(origin[0], "rb") as fh:         # in pieces: never a whole large file at once
            while chunk := fh.read(1 << 16):
                if not chunk.isascii():
                    return False
            return True
    except OSError:
        return True


def _root_of(params: types.InitializeParams) -> str:
    return root_of([f.uri for f in params.workspace_folders or ()], params.root_uri, params.root_path)


def create_server(options: Options, preloaded: Preloaded | None = None) -> NetpolLanguageServer:
    server = NetpolLanguageServer(options, preloaded)

    @server.feature(types.INITIALIZE)
    def initialize(ls: NetpolLanguageServer, params: types.InitializeParams):
        ls._root = _root_of(params)
        opts = params.initialization_options if isinstance(params.initialization_options, dict) else {}
        ms = opts.get("debounceMs")
        if isinstance(ms, (int, float)) and not isinstance(ms, bool) and 0 <= ms <= 10_000:
            ls.debounce = ms / 1000

    @server.feature(types.INITIALIZED)
    def initialized(ls: NetpolLanguageServer, params: types.InitializedParams):
        ls.codec = ls.workspace.position_codec
        pre, ls.preloaded = ls.preloaded, None
        if pre is not None and pre.workspace.root == os.path.realpath(ls._root):
            ls.ws, result, error = pre.workspace, pre.result, pre.error      # read at start (start.py)
        else:
            ls.ws, error = Workspace(ls._root, ls.options), None
            try:
                result = ls.ws.load()
            except Exception as exc:
                error = exc
        del pre
        if error is not None:        # a bad config: say so, lint nothing (like the CLI's exit 2)
            ls.load_error = str(error)
            ls.ws.config = None
            ls.window_show_message(types.ShowMessageParams(type=types.MessageType.Error,
                                                           message=f"netpol-lint: {error}"))
            return
        # The loaded workspace is long-lived: keep the cyclic collector off its objects.  No
        # gc.collect() first: the load runs with the collector paused and builds no cycles,
        # so a full collection here found nothing and cost 0.1 s of the start.
        gc.freeze()
        for msg in result.rule_errors:
            ls.log(msg, types.MessageType.Error)
        ls.publish(sorted(ls.ws.findings))
        drop_generated_sources()     # cattrs's converters for the requests so far (start.py)
        ls.log(f"netpol-lint {__version__}: {count(ls.ws.files, 'file')} loaded from {ls.ws.root} "
               f"({result.seconds:.2f} s lint); diagnostics published")
        _register_watchers(ls)

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: NetpolLanguageServer, params: types.DidOpenTextDocumentParams):
        path = ls.path_of(params.text_document.uri)
        if path is None or ls.ws is None or not ls.ws.in_workspace(path):
            return
        doc = params.text_document
        src = ls.ws.files.get(path)
        if src is not None and path not in ls.ws.pending and path in ls.ws.findings and src.text == doc.text:
            ls.ws.buffers[path] = doc.version          # what was linted: nothing to redo
            ls.publish([path])
            return
        ls.ws.set_buffer(path, doc.text, doc.version)
        ls.schedule()

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: NetpolLanguageServer, params: types.DidChangeTextDocumentParams):
        path = ls.path_of(params.text_document.uri)
        if path is None or ls.ws is None or not ls.ws.in_workspace(path):
            return
        doc = ls.workspace.get_text_document(params.text_document.uri)
        ls.ws.set_buffer(path, doc.source, params.text_document.version)
        ls.schedule()

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: NetpolLanguageServer, params: types.DidCloseTextDocumentParams):
        path = ls.path_of(params.text_document.uri)
        if path is None or ls.ws is None or path not in ls.ws.buffers:
            return
        ls.ws.close_buffer(path)
        ls.schedule()

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: NetpolLanguageServer, params: types.DidSaveTextDocumentParams):
        return None                   # the buffer is the input already

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def watched(ls: NetpolLanguageServer, params: types.DidChangeWatchedFilesParams):
        if ls.ws is None:
            return
        paths = [p for p in (ls.path_of(change.uri) for change in params.changes) if p is not None]
        if any(ls.ws.is_config(p) for p in paths):
            _reload(ls)
            return
        for path in paths:
            ls.ws.file_changed(path)
        ls.schedule()

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION,
                    types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]))
    def code_action(ls: NetpolLanguageServer, params: types.CodeActionParams):
        path = ls.path_of(params.text_document.uri)
        if path is None or ls.ws is None or ls.ws.session is None:
            return None
        ls.run()
        start = ls.from_client(path, params.range.start)
        end = ls.from_client(path, params.range.end)
        out = []
        for action in features.code_actions(ls.ws, path, start, end):
            out.append(_code_action(ls, action))
        return out or None

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: NetpolLanguageServer, params: types.HoverParams):
        path = ls.path_of(params.text_document.uri)
        if path is None or ls.ws is None or ls.ws.session is None:
            return None
        ls.run()
        line, char = ls.from_client(path, params.position)
        text = features.hover(ls.ws, path, line, char)
        if not text:
            return None
        return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text))

    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    def definition(ls: NetpolLanguageServer, params: types.DefinitionParams):
        return _navigate(ls, params, features.definition)

    @server.feature(types.TEXT_DOCUMENT_REFERENCES)
    def references(ls: NetpolLanguageServer, params: types.ReferenceParams):
        return _navigate(ls, params, features.references)

    return server


def _reload(ls: NetpolLanguageServer) -> None:
    """The config changed: load everything again (a broken config: one message, nothing linted)."""
    before = set(ls.ws.findings)
    try:
        ls.ws.reload()
    except Exception as exc:
        ls.ws.config = None
        ls.window_show_message(types.ShowMessageParams(type=types.MessageType.Error, message=f"netpol-lint: {exc}"))
        ls.ws.findings = {}
        ls.publish(sorted(before))
        return
    ls.load_error = None
    ls.publish(sorted(before | set(ls.ws.findings)))


def _navigate(ls: NetpolLanguageServer, params, find):
    path = ls.path_of(params.text_document.uri)
    if path is None or ls.ws is None or ls.ws.session is None:
        return None
    ls.run()
    line, char = ls.from_client(path, params.position)
    out = [ls.structure(loc, types.Location) for loc in (ls.location(x) for x in find(ls.ws, path, line, char))
           if loc is not None]
    return out or None


def _code_action(ls: NetpolLanguageServer, action: features.Action) -> types.CodeAction:
    changes: list = []
    for path, text in action.create:
        uri = ls.uri_of(path)
        changes.append(types.CreateFile(uri=uri, options=types.CreateFileOptions(overwrite=False, ignore_if_exists=False)))
        changes.append(types.TextDocumentEdit(
            text_document=types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=None),
            edits=[types.TextEdit(range=types.Range(start=types.Position(line=0, character=0),
                                                    end=types.Position(line=0, character=0)), new_text=text)]))
    for path, edits in action.edits.items():
        changes.append(types.TextDocumentEdit(
            text_document=types.OptionalVersionedTextDocumentIdentifier(uri=ls.uri_of(path),
                                                                        version=ls.ws.buffers.get(path)),
            edits=[types.TextEdit(range=ls.structure({"start": ls.to_client(path, a, b), "end": ls.to_client(path, c, d)},
                                                     types.Range), new_text=new) for a, b, c, d, new in edits]))
    return types.CodeAction(title=action.title, kind=action.kind, diagnostics=[ls.diagnostic(action.finding)],
                            is_preferred=action.preferred or None, edit=types.WorkspaceEdit(document_changes=changes))


def _register_watchers(ls: NetpolLanguageServer) -> None:
    """Ask the client to report manifest files changed outside the editor (when it can)."""
    caps = ls.client_capabilities.workspace
    watched = caps.did_change_watched_files if caps is not None else None
    if watched is None or not watched.dynamic_registration:
        return
    opts = types.DidChangeWatchedFilesRegistrationOptions(watchers=[
        types.FileSystemWatcher(glob_pattern=g) for g in ("**/*.yaml", "**/*.yml", "**/*.json", "**/pyproject.toml")])
    ls.client_register_capability(types.RegistrationParams(registrations=[types.Registration(
        id="netpol-lint-watch", method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES, register_options=opts)]))


def serve(options: Options, stdin=None, preloaded: Preloaded | None = None) -> int:
    """Run the server on standard input/output (``stdin``: what to read instead, e.g. the
    ``start.Replay`` of a first message read already)."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    server = create_server(options, preloaded)
    server.start_io(stdin=stdin)
    return 0
