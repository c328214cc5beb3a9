"""Files -> documents with positions, plus the input problems (NPL001/NPL002) found on the way.

Parsing uses libyaml through PyYAML (``CSafeLoader``): only the safe YAML 1.1 tag set, so no
document can run code.  A broken document is reported at the parser's line/column and the
documents before it are kept; the other files are unaffected.
"""
from __future__ import annotations

import bisect
import codecs
import json
import os
import re
import stat
import zlib
from collections import OrderedDict
from dataclasses import dataclass, field
from fnmatch import fnmatch
from typing import Any

import yaml

from .compose import END, Composer, LimitExceeded
from .construct import Builder, ConstructProblem
from .fastparse import StreamedDocument, fast_parse, origin_at
from .documents import Document, Location
from .text import TextFrom, helm_sources

try:
    _Loader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Loader = yaml.SafeLoader

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
DIRECTIVE_MARK = "netpol-lint:"     # what every suppression comment holds (suppress.py)
_TEMPLATE_RE = re.compile(r"\{\{-?\s*[-.$A-Za-z_(/\"]")
_DOC_START_RE = re.compile(r"^---(?=\s|$)", re.M)
# What libyaml's reader refuses (YAML's printable set); found up front so that the documents
# before such a character are still read (libyaml fails the whole stream when it meets one).
_BAD_CHAR_RE = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class Limits:
    """Bounds on what one file may cost (docs/limits.md; CLI ``--max-file-size`` etc.).

    Every bound turns hostile input into an NPL001 finding instead of a hang, a crash or
    gigabytes of memory: file size, nesting depth (libyaml slows down with every open flow
    level, and deep trees crash recursive code), and nodes per document with aliases
    expanded (alias bombs).
    """

    max_file_bytes: int = 64 * 1024 * 1024
    max_nodes_per_document: int = 2_000_000
    max_depth: int = 200


def parse_size(text: str) -> int:
    """``65536``, ``512K``, ``64M``, ``1G`` (binary units) -> bytes; ValueError otherwise."""
    units = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    t = text.strip().upper().removesuffix("B").removesuffix("I")
    num, unit = (t[:-1], t[-1]) if t[-1:] in units and t[-1:] else (t, "")
    if not num.isdigit() or int(num) <= 0:
        raise ValueError(f"invalid size {text!r} (e.g. 64M, 512K, 1048576)")
    return int(num) * units[unit]


# what an input problem is about: a file that cannot be read ("unreadable": I/O error, over
# --max-file-size), bytes that are not UTF-8 text ("encoding"), text that is not valid
# YAML/JSON or a document over the limits ("syntax"), Helm/Go template markers ("template")
PROBLEM_KINDS = ("unreadable", "encoding", "syntax", "template")


@dataclass
class InputProblem:
    """Something wrong with the input, as data: the rules layer reports it (NPL001/NPL002)."""

    kind: str          # one of PROBLEM_KINDS
    message: str
    location: Location


@dataclass(slots=True)   # slots: a large input has tens of thousands of files
class SourceFile:
    path: str                                   # display path
    documents: list[Document] = field(default_factory=list)
    problems: list[InputProblem] = field(default_factory=list)
    skipped: str | None = None                  # why the file was not read at all
    _text: str | None = field(default=None, repr=False)
    _origin: tuple | None = field(default=None, repr=False)   # (path, size, crc32) of what was read
    _directives: bool = field(default=True, repr=False)       # may hold "netpol-lint:" comments
    _nodes: dict[int, yaml.Node] | None = field(default=None, repr=False)
    _limits: "Limits | None" = field(default=None, repr=False)
    _all_composed: bool = field(default=False, repr=False)

    @property
    def text(self) -> str | None:
        """The file's text: kept, or read again (``forget_text``); None if the file no longer
        holds what was linted."""
        if self._text is not None or self._origin is None:
            return self._text
        return _texts.get(self._origin)

    @text.setter
    def text(self, value: str | None) -> None:
        self._text = value

    def read_text(self) -> str | None:
        """``text``, but a text read back is not added to the cache of recent ones: for a
        caller that needs it once (the language server converting positions of a file
        nobody opened), so that a long-running process holds no such text afterwards."""
        if self._text is not None or self._origin is None:
            return self._text
        return _texts.get(self._origin, keep=False)

    def forget_text(self) -> None:
        """Drop the text of a file read from disk: it is as large as the file, and only files
        with findings need it again (positions, suppression comments), which read it back,
        checked against the size and CRC-32 of the bytes first read (a file changed since
        is not misread: its positions fall back to the file's first line)."""
        if self._origin is not None and self._text is not None:
            self._directives = DIRECTIVE_MARK in self._text
            self._text = None

    @property
    def may_have_directives(self) -> bool:
        """False when the file is known to hold no suppression comment (then its text is not
        read again just to look for one)."""
        return self._directives

    def node_for(self, index: int) -> yaml.Node | None:
        """Node tree of document ``index``, re-composed from the text on first use.

        Only that document is composed again (from where the first parse saw it start), so
        a position in a 50 MB file costs one document's nodes, not the file's.  Anything
        unexpected falls back to composing the whole file once.
        """
        if self._nodes is None:
            self._nodes = {}
        if index in self._nodes:
            return self._nodes[index]
        node = self._compose_one(index)
        if node is None and not self._all_composed:
            again = parse_text(SourceFile(self.path), self.text or "", self._limits or Limits(), keep_nodes=True)
            self._nodes.update({d.index: d.node for d in again.documents})
            self._all_composed = True
            return self._nodes.get(index)
        self._nodes[index] = node
        return node

    def _compose_one(self, index: int) -> yaml.Node | None:
        docs = self.documents
        i = bisect.bisect_left(docs, index, key=lambda d: d.index)
        start = docs[i].start if i < len(docs) and docs[i].index == index else None
        if start is None or self.text is None:
            return None
        limits = self._limits or Limits()
        loader = _Loader(TextFrom(self.text, start[0]) if start[0] else self.text)
        try:
            node = Composer(loader, limits.max_depth, limits.max_nodes_per_document, start[1]).compose_document()
        except (yaml.YAMLError, LimitExceeded):
            return None
        finally:
            loader.dispose()
        return None if node is END else node


def display_path(path: str | os.PathLike, cwd: str | None = None) -> str:
    """Relative to the current directory with '/' separators, ``../`` for paths outside it
    (CONTRACT.md: every format prints paths relative to the current directory); absolute
    only when no relative path exists (another drive on Windows)."""
    p = os.path.abspath(path)
    base = os.path.abspath(cwd or os.getcwd())
    prefix = base if base.endswith(os.sep) else base + os.sep
    if p.startswith(prefix):            # the common case, without relpath's cost
        rel = p[len(prefix):] or "."
    else:
        try:
            rel = os.path.relpath(p, base)
        except ValueError:
            rel = p
    return rel.replace(os.sep, "/")


class SkippedPath(str):
    """A discovered path that must not be read, with the reason (a skip note, not a finding).

    A ``str`` so that ``discover`` keeps returning plain paths to its callers; ``read_file``
    turns it into a skipped ``SourceFile``.
    """

    reason: str

    def __new__(cls, path: str, reason: str) -> "SkippedPath":
        obj = super().__new__(cls, path)
        obj.reason = reason
        return obj

    def __reduce__(self):  # keeps the reason across processes (--jobs)
        return SkippedPath, (str(self), self.reason)


def discover(paths: list[str], excludes: list[str] = (), cwd: str | None = None) -> tuple[list[str], list[str]]:
    """Expand files and directories into manifest files (sorted, deduplicated).

    Returns ``(files, errors)``; errors are paths that do not exist or cannot be listed (the
    caller exits 2).  Hidden directories are skipped, symlinked directories are not
    followed (no loops, no escaping the tree), explicitly named files are taken whatever
    their suffix.  A symlinked *file* is read only when its target stays inside the root it
    was found under (the directory argument being walked; for a file argument, the current
    directory, or the link's own directory when the link lies outside the current
    directory); other symlinks, broken links and unreadable subdirectories come back as
    ``SkippedPath`` entries, which ``read_file`` reports as skipped.
    """
    out: list[str] = []
    errors: list[str] = []
    seen: set[str] = set()
    base = os.path.abspath(cwd or os.getcwd())

    def excluded(p: str) -> bool:
        if not excludes:
            return False
        d = display_path(p, cwd)
        a = None
        for g in excludes:
            if os.path.isabs(g):        # a config file's glob, anchored at its directory
                a = a or os.path.abspath(p).replace(os.sep, "/")
                if fnmatch(a, g) or fnmatch(a, g.rstrip("/") + "/*"):
                    return True
            elif fnmatch(d, g) or fnmatch(d, g.rstrip("/") + "/*") or fnmatch(os.path.basename(p), g):
                return True
        return False

    shown: dict[str, str] = {}          # display paths known from the walk (for the sort)

    def add(p: str, key: str | None = None) -> None:
        key = key or os.path.abspath(p)
        if key not in seen:
            seen.add(key)
            out.append(p)

    for raw in paths:
        if raw == "-":
            add("-")
            continue
        if not os.path.lexists(raw):
            errors.append(raw)
            continue
        if os.path.isdir(raw):
            if not _listable(raw):
                errors.append(raw)
                continue
            root = os.path.realpath(raw)
            unreadable: list[OSError] = []
            for prefix, abs_prefix, shown_prefix, files in _walk_directories(
                    raw, os.path.abspath(raw), display_path(raw, cwd), excluded, unreadable):
                for name, is_link in files:
                    full = prefix + name              # os.path.join(directory, name)
                    path = _check_link(full, root) if is_link else full
                    shown[path] = shown_prefix + name
                    add(path, abs_prefix + name)
            for exc in unreadable:
                if exc.filename and not excluded(exc.filename):
                    add(SkippedPath(exc.filename, f"directory cannot be read: {exc.strerror or exc}"))
        elif not excluded(raw):
            inside = os.path.commonpath([os.path.abspath(raw), base]) == base
            add(_check_link(raw, os.path.realpath(base if inside else os.path.dirname(os.path.abspath(raw)))))
    out.sort(key=lambda p: (p != "-", (shown.get(p) or display_path(p, cwd)) if p != "-" else ""))
    return out, errors


def _walk_directories(top: str, abs_top: str, shown_top: str, excluded, unreadable: list):
    """``(prefix, absolute prefix, display prefix, [(file name, is symlink), ...])`` per
    directory for ``discover``, depth first; ``prefix + name`` is the file's path.

    What ``os.walk`` with the filters ``discover`` applied gave -- directories sorted,
    hidden, symlinked and excluded ones pruned, files sorted and limited to manifest
    suffixes and not excluded, unreadable directories reported to ``unreadable`` -- but
    from ``os.scandir`` entries, whose file types come with the listing (``os.walk`` plus
    ``islink`` cost two ``lstat`` calls per directory and one per file), and with the
    absolute and display paths of each directory derived from its parent's instead of
    recomputed (together ~60% of discovering 56,000 files).  Iterative, so directory depth
    is not bounded by Python's recursion.
    """
    stack = [(top, abs_top, "" if shown_top == "." else shown_top.rstrip("/") + "/")]
    while stack:
        path, abs_path, shown_prefix = stack.pop()
        dirs, files = [], []
        try:
            with os.scandir(path) as entries:
                for entry in entries:
                    try:
                        is_dir = entry.is_dir()
                    except OSError:
                        is_dir = False
                    try:
                        is_link = entry.is_symlink()
                    except OSError:
                        is_link = False
                    (dirs if is_dir else files).append((entry.name, is_link))
        except OSError as exc:                 # cannot list it (or stopped part way): skipped
            unreadable.append(exc)
            continue
        prefix, abs_prefix = os.path.join(path, ""), os.path.join(abs_path, "")
        yield prefix, abs_prefix, shown_prefix, [
            (name, is_link) for name, is_link in sorted(files)
            if name.lower().endswith(MANIFEST_SUFFIXES) and not excluded(prefix + name)]
        stack.extend(reversed([
            (prefix + name, abs_prefix + name, shown_prefix + name + "/")
            for name, is_link in sorted(dirs)
            if not name.startswith(".") and not is_link and not excluded(prefix + name)]))


def _listable(directory: str) -> bool:
    try:
        with os.scandir(directory):
            return True
    except OSError:
        return False


def _check_link(path: str, root: str) -> str:
    """``path``, or a ``SkippedPath`` when it is a symlink that is broken or leaves ``root``."""
    if not os.path.islink(path):
        return path
    try:
        os.stat(path)  # follows the link: loops and dangling links fail here
    except OSError as exc:
        return SkippedPath(path, f"broken symlink ({exc.strerror or exc})")
    target = os.path.realpath(path)
    if os.path.commonpath([target, root]) != root:
        return SkippedPath(path, f"symlink to {target}, outside {root}; not followed")
    return path


class _TextCache:
    """Texts read back for ``SourceFile.text``, the most recent few kept (rules report a
    file's findings one after another, so a handful of entries saves almost every re-read)."""

    def __init__(self, max_files: int = 32, max_chars: int = 32 << 20):
        self._entries: OrderedDict = OrderedDict()
        self._chars = 0
        self.max_files, self.max_chars = max_files, max_chars

    def get(self, origin: tuple, keep: bool = True) -> str | None:
        text = self._entries.get(origin)
        if text is not None:
            self._entries.move_to_end(origin)
            return text
        path, size, crc = origin
        try:
            raw, _ = _read_limited(path, size)   # as the first read: non-blocking, bounded
        except OSError:
            return None
        if raw is None or len(raw) != size or zlib.crc32(raw) != crc:
            return None
        text, problem = decode(raw, path)
        if problem is not None or not keep:
            return text if problem is None else None
        self._entries[origin] = text
        self._chars += len(text)
        while self._entries and (len(self._entries) > self.max_files or self._chars > self.max_chars):
            _, old = self._entries.popitem(last=False)
            self._chars -= len(old)
        return text


_texts = _TextCache()


def read_file(path: str, cwd: str | None = None, limits: Limits = Limits(), stdin_text: str | None = None) -> SourceFile:
    """Read and parse one file (``-`` = the given stdin text).  Never raises for bad input.

    The file is opened non-blocking and checked on the open descriptor, so a FIFO or a
    device never blocks the run (and cannot be swapped in between a check and the read);
    at most ``max_file_bytes + 1`` bytes are read whatever the file claims its size is.
    """
    shown = "-" if path == "-" else display_path(path, cwd)
    src = SourceFile(shown)
    if path == "-":
        return parse_text(src, stdin_text or "", limits)
    reason = getattr(path, "reason", None)
    if reason is not None:
        src.skipped = reason
        return src
    try:
        raw, skipped = _read_limited(path, limits.max_file_bytes)
    except OSError as exc:
        src.problems.append(InputProblem("unreadable", f"cannot read file: {exc.strerror or exc}", Location.whole_file(shown)))
        return src
    if skipped is not None:
        src.skipped = skipped
        return src
    if raw is None:
        src.problems.append(InputProblem(
            "unreadable", f"file is over the {limits.max_file_bytes}-byte limit (--max-file-size); not read",
            Location.whole_file(shown)))
        return src
    text, problem = decode(raw, shown)
    if problem is not None:
        src.problems.append(problem)
        return src
    src._origin = (path, len(raw), zlib.crc32(raw))
    if path.lower().endswith(".json"):
        return parse_json(src, text, limits)
    # libyaml reads UTF-8 bytes faster than a Python str; the text is kept for comments.
    return parse_text(src, text, limits, raw=raw if _is_plain_utf8(raw) else None)


def _read_limited(path: str, max_bytes: int) -> tuple[bytes | None, str | None]:
    """(bytes, None) for a regular file, (None, None) when it is over ``max_bytes``, else
    (b"", skip reason).  Never reads more than ``max_bytes + 1`` bytes."""
    if not stat.S_ISREG(os.stat(path).st_mode):  # sockets cannot even be opened
        return b"", "not a regular file (FIFO, socket or device)"
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    fd = os.open(path, flags)
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            return b"", "is a directory"
        if not stat.S_ISREG(st.st_mode):
            return b"", "not a regular file (FIFO, socket or device)"
        if st.st_size > max_bytes:
            return None, None
        chunks, total = [], 0
        while total <= max_bytes:
            chunk = os.read(fd, min(1 << 20, max_bytes + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        return (b"".join(chunks) if total <= max_bytes else None), None
    finally:
        os.close(fd)


def parse_json(src: SourceFile, text: str, limits: Limits = Limits()) -> SourceFile:
    """JSON files: strict JSON first (kubectl decodes them as JSON), positions from libyaml."""
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        src.text = text
        if _JSON_MANIFEST_KEY_RE.search(text) is None:
            # package.json with a trailing comma, tsconfig.json with comments, ...: no sign of
            # a Kubernetes object, so a skip note (-v), not NPL001 (docs/limits.md)
            src.skipped = (f"not valid JSON ({exc.msg} at {exc.lineno}:{exc.colno}) and no \"apiVersion\" or "
                           "\"kind\" key: not a manifest")
            return src
        src.problems.append(InputProblem("syntax", f"JSON syntax error: {exc.msg}",
                                         Location.whole_file(src.path, exc.lineno, exc.colno)))
        return src
    except (RecursionError, ValueError) as exc:  # absurd nesting; integers of 4300+ digits
        src.text = text
        reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        src.problems.append(InputProblem("syntax", f"JSON cannot be read: {reason}", Location.whole_file(src.path)))
        return src
    return parse_text(src, text, limits, is_json=True)


def decode(raw: bytes, shown: str) -> tuple[str, InputProblem | None]:
    """Bytes -> text: UTF-8 (BOM optional) or UTF-16/32 with BOM, like the YAML spec allows."""
    for bom, codec in ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                       (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                       (codecs.BOM_UTF16_BE, "utf-16")):
        if raw.startswith(bom):
            try:
                return raw.decode(codec), None
            except UnicodeDecodeError as exc:
                return "", _decode_problem(raw, exc, shown)
    if b"\x00" in raw[:8192]:
        return "", InputProblem("encoding", "binary file (NUL bytes), not YAML or JSON", Location.whole_file(shown))
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        return "", _decode_problem(raw, exc, shown)


def _decode_problem(raw: bytes, exc: UnicodeDecodeError, shown: str) -> InputProblem:
    before = raw[: exc.start]
    line = before.count(b"\n") + 1
    col = len(before) - (before.rfind(b"\n") + 1) + 1
    return InputProblem("encoding", f"invalid {exc.encoding} byte 0x{raw[exc.start]:02x} (file must be UTF-8)",
                        Location.whole_file(shown, line, col))


def _is_plain_utf8(raw: bytes) -> bool:
    """True for BOM-less UTF-8 (what ``decode`` accepted without a BOM), which libyaml reads as is."""
    return not raw.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_BE))


def parse_text(src: SourceFile, text: str, limits: Limits = Limits(), is_json: bool = False,
               raw: bytes | None = None, keep_nodes: bool = False, templates: bool = True) -> SourceFile:
    """Parse a multi-document stream into ``src.documents`` / ``src.problems``.

    Node trees are dropped after the data is built unless ``keep_nodes``; documents then
    find their positions through ``src.node_for`` (a second parse, only for files that
    need a position).

    After a syntax error or a document over a limit, parsing resumes at the next ``---``
    line after the error, so later documents of the file are still linted.  The rest of
    the text is streamed to libyaml from that offset (no copy) and marks are shifted by
    the lines before it, so each character is parsed about once however many documents
    are broken.  ``templates=False`` turns Helm-marker detection (NPL002) off, for YAML
    that is not a manifest (see ``load_yaml_data``).
    """
    src.text = text
    src._limits = limits
    shown = src.path
    origins = helm_sources(text) if "# Source: " in text else None
    ctx = _ChunkContext(limits, is_json, origins, keep_nodes, templates and bool(_TEMPLATE_RE.search(text)))
    ctx.text = text if "\t" in text else None      # only a file with tabs can have tab indentation
    index = 0
    pos = line = 0                      # where the current chunk starts: offset and line
    bad = None if _plain_ascii(text, raw) else _BAD_CHAR_RE.search(text)
    # Ordinary files (no anchors, errors, templates, ...) take the one-pass fast path;
    # it gives up without side effects on anything else (load/fastparse.py).
    if bad is None and not keep_nodes and not ctx.has_markers and fast_parse(
            src, raw if raw is not None else text, limits, origins):
        return src
    while True:
        if bad is not None and bad.start() < pos:
            bad = _BAD_CHAR_RE.search(text, pos)
        end = None
        if bad is not None:  # stop before the document holding a character libyaml refuses
            end = pos
            for m in _DOC_START_RE.finditer(text, pos, bad.start()):
                end = m.start()
            stream = TextFrom(text, pos, end)
        else:
            stream = (raw if raw is not None else text) if pos == 0 else TextFrom(text, pos)
        error_offset = None
        if end is None or end > pos:
            index, error_offset = _parse_chunk(src, stream, index, pos, line, ctx)
        if error_offset == -1:
            return _parse_json_fallback(src, text)
        if error_offset is not None:
            error_at = min(pos + error_offset, len(text))
        elif bad is not None:
            error_at = bad.start()
            bad_line = line + text.count("\n", pos, error_at)
            column = error_at - text.rfind("\n", 0, error_at)
            src.problems.append(_template_or_syntax(
                f"document {index + 1}: control character U+{ord(bad.group()):04X} is not allowed in YAML",
                Location.whole_file(shown, bad_line + 1, column), ctx.has_markers))
            index += 1
        else:
            break
        nxt = _DOC_START_RE.search(text, text.rfind("\n", 0, error_at) + 1)
        if nxt is not None and nxt.start() <= pos:
            after = text.find("\n", pos)
            nxt = _DOC_START_RE.search(text, after + 1) if after >= 0 else None
        if nxt is None:
            break
        line += text.count("\n", pos, nxt.start())
        pos = nxt.start()
    if ctx.has_markers and not _looks_like_manifest(text) and not any(_is_manifest(d.head) for d in src.documents):
        # a Helm values.yaml, a template of something else: not a manifest, no finding
        # (RULES.md NPL002).  Parsed, it is non-Kubernetes documents like any other file;
        # unreadable because of its markers, it is a skip note.
        if any(p.kind == "template" for p in src.problems):
            src.problems = [p for p in src.problems if p.kind != "template"]
            if not src.problems:
                src.documents.clear()
                src.skipped = "template markers ({{ ... }}) without apiVersion/kind: not a manifest"
        return src
    if ctx.template_values and not src.problems:
        src.problems.append(InputProblem(
            "template", "file holds Helm/Go template markers ({{ ... }}) and is not a rendered manifest; "
            "lint the output of `helm template ... | netpol-lint -` instead", Location.whole_file(shown)))
        src.documents.clear()
    return src


_ASCII_ALLOWED = bytes([0x09, 0x0A, 0x0D, *range(0x20, 0x7F)])


def _plain_ascii(text: str, raw: bytes | None) -> bool:
    """True when ``text`` is ASCII without a character ``_BAD_CHAR_RE`` finds (its raw bytes
    are checked in C, ~6x faster than the regex; anything else takes the regex)."""
    return raw is not None and text.isascii() and not raw.translate(None, _ASCII_ALLOWED)


class YAMLDataError(ValueError):
    """YAML that ``load_yaml_data`` refuses; ``line``/``column`` are 1-based (None: unknown)."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None):
        super().__init__(message)
        self.line, self.column = line, column


def load_yaml_data(text: str, limits: Limits = Limits(max_file_bytes=1 << 20)) -> Any:
    """One YAML document as data, with the manifest loader's protections.

    For YAML that comes from a repository but is not a manifest (config files, declarative
    rule files): the same depth, node and alias bounds, no code from tags, duplicate keys
    refused.  ``yaml.safe_load`` has none of these (it recurses in Python and is quadratic in
    flow nesting), so a hostile config could hang or crash the run.  Raises
    ``YAMLDataError`` for any problem; an empty text is ``None``.
    """
    if len(text) > limits.max_file_bytes:
        raise YAMLDataError(f"over the {limits.max_file_bytes}-character limit")
    src = parse_text(SourceFile("<data>"), text, limits, templates=False)
    if src.problems:
        p = src.problems[0]
        raise YAMLDataError(p.message, p.location.line, p.location.column)
    if len(src.documents) > 1:
        loc = src.documents[1].locate(())
        raise YAMLDataError("expected one YAML document, found more", loc.line, loc.column)
    return src.documents[0].data if src.documents else None


@dataclass
class _ChunkContext:
    limits: Limits
    is_json: bool
    origins: list | None
    keep_nodes: bool
    has_markers: bool
    template_values: bool = False
    alias_budget: int = 0               # nodes aliases may still add in this file
    text: str | None = None             # the whole file (to explain a syntax error)

    def __post_init__(self):
        self.alias_budget = self.limits.max_nodes_per_document


def _parse_chunk(src: SourceFile, stream, index: int, pos: int, line_offset: int, ctx: _ChunkContext):
    """Parse documents until the end or the first error.

    Returns ``(next document index, None)`` at the end of the stream, ``(index, offset)``
    after an error at character ``offset`` of the stream, ``(index, -1)`` for JSON that
    libyaml refuses as a whole.
    """
    shown = src.path
    limits, is_json, origins = ctx.limits, ctx.is_json, ctx.origins
    loader = _Loader(stream)
    composer = Composer(loader, limits.max_depth, limits.max_nodes_per_document, line_offset)
    try:
        while True:
            try:
                node = composer.compose_document()
            except yaml.YAMLError as exc:
                if is_json and not src.documents:
                    return index, -1
                problem = _yaml_problem(exc, shown, ctx.has_markers, line_offset, ctx.text)
                src.problems.append(problem)
                if problem.kind == "template":
                    return index, None
                mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
                return index + 1, (mark.index if mark is not None else None)
            except LimitExceeded as exc:
                src.problems.append(_template_or_syntax(
                    f"document {index + 1}: {exc}; not read (see --max-depth / --max-nodes)",
                    Location.whole_file(shown, exc.mark.line + 1, exc.mark.column + 1), ctx.has_markers))
                return index + 1, exc.offset
            if node is END:
                return index, None
            builder = Builder(limits.max_nodes_per_document, limits.max_depth, composer.anchored_scalars,
                              ctx.alias_budget)
            try:
                data = builder.build(node)
                ctx.alias_budget -= builder.aliased
            except ConstructProblem as exc:
                src.problems.append(_template_or_syntax(
                    f"document {index + 1}: {exc}", Location.of_node(shown, exc.node), ctx.has_markers))
                index += 1
                continue
            for key, knode in builder.duplicates:
                src.problems.append(InputProblem(
                    "syntax", f"duplicate mapping key {key!r} (the API server rejects or silently drops one)",
                    Location.of_node(shown, knode)))
            if data is None or data == "":
                index += 1
                continue  # bare '---' or comment-only document
            if ctx.has_markers and not ctx.template_values and _is_manifest(data) and (
                    _has_template_values(node) or _template_in_read_fields(data)):
                ctx.template_values = True
            origin = origin_at(origins, node.start_mark.line) if origins else None
            start = (pos + composer.doc_start[0], composer.doc_start[1])
            if ctx.keep_nodes:
                src.documents.append(Document(shown, index, data, node, origin, None, start))
            else:
                # without duplicate keys, the first node a path leads to is the one the data
                # holds, so positions can be streamed (fastparse.StreamedDocument)
                cls = Document if builder.duplicates else StreamedDocument
                src.documents.append(cls(shown, index, data, None, origin, src, start))
            index += 1
    finally:
        try:
            loader.dispose()
        except Exception:
            pass


def _parse_json_fallback(src: SourceFile, text: str) -> SourceFile:
    """JSON that libyaml refuses (e.g. tab indentation): read it without inner positions."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        src.problems.append(InputProblem("syntax", f"JSON syntax error: {exc.msg}",
                                         Location.whole_file(src.path, exc.lineno, exc.colno)))
        return src
    if data is not None:
        src.documents.append(Document(src.path, 0, data, None))
    return src


def _yaml_problem(exc: yaml.YAMLError, shown: str, has_markers: bool, line_offset: int = 0,
                  text: str | None = None) -> InputProblem:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    msg = f"YAML syntax error: {problem}" + (f" ({context})" if context else "")
    if (mark is not None and text is not None and ("token" in problem or "tab" in problem)
            and _tab_indented(text, mark.line + line_offset)):
        msg += "; the line is indented with a tab, and YAML indents with spaces only"
    if mark is not None:
        loc = Location.whole_file(shown, mark.line + line_offset + 1, mark.column + 1)
    else:
        loc = Location.whole_file(shown)
    return _template_or_syntax(msg, loc, has_markers)


def _tab_indented(text: str, line: int) -> bool:
    """Line ``line`` (0-based) of ``text`` has a tab in its indentation."""
    start = 0
    for _ in range(line):
        start = text.find("\n", start) + 1
        if start == 0:
            return False
    end = text.find("\n", start)
    row = text[start:end if end >= 0 else len(text)]
    return "\t" in row[:len(row) - len(row.lstrip(" \t"))]


def _template_or_syntax(msg: str, loc: Location, has_markers: bool) -> InputProblem:
    if has_markers:
        return InputProblem(
            "template", "file holds Helm/Go template markers ({{ ... }}) and cannot be read as manifests; "
            "lint the output of `helm template ... | netpol-lint -` instead", Location.whole_file(loc.file))
    return InputProblem("syntax", msg, loc)


_JSON_MANIFEST_KEY_RE = re.compile(r'"(?:apiVersion|kind)"\s*:')
_API_VERSION_KEY_RE = re.compile(r'^[ \t{,\[-]*"?apiVersion"?[ \t]*:', re.M)
_KIND_KEY_RE = re.compile(r'^[ \t{,\[-]*"?kind"?[ \t]*:', re.M)


def _looks_like_manifest(text: str) -> bool:
    """Does the text hold an ``apiVersion`` and a ``kind`` key (at a line start, YAML or
    JSON)?  What a file that cannot be fully read must show to be taken for a manifest."""
    return _API_VERSION_KEY_RE.search(text) is not None and _KIND_KEY_RE.search(text) is not None


def _is_manifest(data: Any) -> bool:
    """A Kubernetes object: a mapping with string ``apiVersion`` and ``kind``."""
    return (isinstance(data, dict) and isinstance(data.get("apiVersion"), str) and data["apiVersion"] != ""
            and isinstance(data.get("kind"), str) and data["kind"] != "")


# Kinds whose whole ``spec`` the linter reads (selectors, ports, peers, hosts, gateways).
_SPEC_READ_KINDS = frozenset({"NetworkPolicy", "Service", "Gateway", "VirtualService", "APIRule", "Istio"})
# Where a workload's pod template is (model/resources.py POD_TEMPLATE_PATHS; load/ is below
# the model, so the two paths a template can have are spelt out here).
_TEMPLATE_PATHS = (("spec", "template"), ("spec", "jobTemplate", "spec", "template"))


def _template_in_read_fields(data: dict) -> bool:
    """Template markers -- quoted, so the document parsed -- in a field rules read: the
    identity (apiVersion, kind, name, namespace), labels, a pod template's labels and
    container ports, the spec of the kinds whose spec is read.  Such a document is a
    template with placeholder names, not a manifest (NPL002, never NPL003/NPL004 about
    ``{{ .Values.name }}``).  Other fields (annotations, ConfigMap data, container args,
    PrometheusRule texts) hold ``{{`` legitimately in rendered manifests and are not looked at."""
    meta = data.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    if any(_marked(v) for v in (data["apiVersion"], data["kind"], meta.get("name"), meta.get("namespace"),
                                meta.get("labels"))):
        return True
    spec = data.get("spec")
    if data["kind"] in _SPEC_READ_KINDS:
        return _marked(spec)
    for path in _TEMPLATE_PATHS:
        tpl = data
        for step in path:
            tpl = tpl.get(step) if isinstance(tpl, dict) else None
        if isinstance(tpl, dict):
            tmeta = tpl.get("metadata")
            if isinstance(tmeta, dict) and _marked(tmeta.get("labels")):
                return True
            pod = tpl.get("spec")
            containers = pod.get("containers") if isinstance(pod, dict) else None
            for c in containers if isinstance(containers, list) else ():
                if isinstance(c, dict) and _marked(c.get("ports")):
                    return True
    return False


def _marked(value: Any, budget: int = 10_000) -> bool:
    """A template marker in a string of ``value`` (keys included), looked at up to ``budget`` nodes."""
    stack = [value]
    while stack and budget > 0:
        budget -= 1
        v = stack.pop()
        if isinstance(v, str):
            if "{{" in v and _TEMPLATE_RE.search(v):
                return True
        elif isinstance(v, dict):
            stack.extend(v.keys())
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
    return False


def _has_template_values(root: yaml.Node) -> bool:
    """A document whose plain (unquoted, non-block) scalars still hold template markers."""
    stack = [root]
    budget = 200_000
    while stack and budget > 0:
        budget -= 1
        node = stack.pop()
        if isinstance(node, yaml.ScalarNode):
            if node.style is None and "{{" in node.value:
                return True
        elif isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                stack.append(k)
                stack.append(v)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return False
