"""Files -> documents with positions, plus the input problems (NPL001/NPL002) found on the way.

Parsing uses libyaml through PyYAML (``CSafeLoader``): only the safe YAML 1.1 tag set, so no
document can run code.  A broken document is reported at the parser's line/column and the
documents before it are kept; the other files are unaffected.
"""
from __future__ import annotations

import codecs
import json
import os
import re
import stat
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path

import yaml

from .construct import Builder, ConstructProblem
from .documents import Document, Location

try:
    _Loader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Loader = yaml.SafeLoader

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
_TEMPLATE_RE = re.compile(r"\{\{-?\s*[-.$A-Za-z_(/\"]")
_DOC_START_RE = re.compile(r"^---(?=\s|$)", re.M)
_SOURCE_RE = re.compile(r"^# Source: (\S.*?)\s*$", re.M)


@dataclass(frozen=True)
class Limits:
    """Bounds on what one file may cost (documented in the README)."""

    max_file_bytes: int = 64 * 1024 * 1024
    max_nodes_per_document: int = 2_000_000


@dataclass
class InputProblem:
    rule: str          # NPL001 or NPL002
    message: str
    location: Location


@dataclass
class SourceFile:
    path: str                                   # display path
    documents: list[Document] = field(default_factory=list)
    problems: list[InputProblem] = field(default_factory=list)
    text: str | None = None
    skipped: str | None = None                  # why the file was not read at all
    _nodes: dict[int, yaml.Node] | None = field(default=None, repr=False)

    def node_for(self, index: int) -> yaml.Node | None:
        """Node tree of document ``index``, re-composed from the text on first use."""
        if self._nodes is None:
            again = parse_text(SourceFile(self.path), self.text or "", keep_nodes=True)
            self._nodes = {d.index: d.node for d in again.documents}
        return self._nodes.get(index)


def display_path(path: str | os.PathLike, cwd: str | None = None) -> str:
    """Relative to the current directory with '/' separators (absolute if outside it)."""
    p = os.path.abspath(path)
    base = os.path.abspath(cwd or os.getcwd())
    try:
        rel = os.path.relpath(p, base)
    except ValueError:
        rel = p
    if rel.startswith(".."):
        rel = p
    return rel.replace(os.sep, "/")


def discover(paths: list[str], excludes: list[str] = (), cwd: str | None = None) -> tuple[list[str], list[str]]:
    """Expand files and directories into manifest files (sorted, deduplicated).

    Returns ``(files, errors)``; errors are paths that do not exist (the caller exits 2).
    Hidden directories are skipped, symlinked directories are not followed (no loops, no
    escaping the tree), explicitly named files are taken whatever their suffix.
    """
    out: list[str] = []
    errors: list[str] = []
    seen: set[str] = set()

    def excluded(p: str) -> bool:
        d = display_path(p, cwd)
        return any(fnmatch(d, g) or fnmatch(d, g.rstrip("/") + "/*") or fnmatch(os.path.basename(p), g) for g in excludes)

    def add(p: str) -> None:
        key = os.path.abspath(p)
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
            for root, dirs, files in os.walk(raw):
                dirs[:] = sorted(
                    d for d in dirs
                    if not d.startswith(".") and not os.path.islink(os.path.join(root, d))
                    and not excluded(os.path.join(root, d))
                )
                for name in sorted(files):
                    full = os.path.join(root, name)
                    if name.lower().endswith(MANIFEST_SUFFIXES) and not excluded(full):
                        add(full)
        elif not excluded(raw):
            add(raw)
    out.sort(key=lambda p: (p != "-", display_path(p, cwd) if p != "-" else ""))
    return out, errors


def read_file(path: str, cwd: str | None = None, limits: Limits = Limits(), stdin_text: str | None = None) -> SourceFile:
    """Read and parse one file (``-`` = the given stdin text).  Never raises for bad input."""
    shown = "-" if path == "-" else display_path(path, cwd)
    src = SourceFile(shown)
    if path == "-":
        return parse_text(src, stdin_text or "", limits)
    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):
            src.skipped = "not a regular file"
            return src
        if st.st_size > limits.max_file_bytes:
            src.problems.append(InputProblem(
                "NPL001", f"file is {st.st_size} bytes, over the {limits.max_file_bytes}-byte limit; not read",
                Location.whole_file(shown)))
            return src
        raw = Path(path).read_bytes()
    except OSError as exc:
        src.problems.append(InputProblem("NPL001", f"cannot read file: {exc.strerror or exc}", Location.whole_file(shown)))
        return src
    text, problem = decode(raw, shown)
    if problem is not None:
        src.problems.append(problem)
        return src
    if path.lower().endswith(".json"):
        return parse_json(src, text, limits)
    # libyaml reads UTF-8 bytes faster than a Python str; the text is kept for comments.
    return parse_text(src, text, limits, raw=raw if _is_plain_utf8(raw) else None)


def parse_json(src: SourceFile, text: str, limits: Limits = Limits()) -> SourceFile:
    """JSON files: strict JSON first (kubectl decodes them as JSON), positions from libyaml."""
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        src.text = text
        src.problems.append(InputProblem("NPL001", f"JSON syntax error: {exc.msg}",
                                         Location.whole_file(src.path, exc.lineno, exc.colno)))
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
        return "", InputProblem("NPL001", "binary file (NUL bytes), not YAML or JSON", Location.whole_file(shown))
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        return "", _decode_problem(raw, exc, shown)


def _decode_problem(raw: bytes, exc: UnicodeDecodeError, shown: str) -> InputProblem:
    before = raw[: exc.start]
    line = before.count(b"\n") + 1
    col = len(before) - (before.rfind(b"\n") + 1) + 1
    return InputProblem("NPL001", f"invalid {exc.encoding} byte 0x{raw[exc.start]:02x} (file must be UTF-8)",
                        Location.whole_file(shown, line, col))


def _is_plain_utf8(raw: bytes) -> bool:
    """True for BOM-less UTF-8 (what ``decode`` accepted without a BOM), which libyaml reads as is."""
    return not raw.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_BE))


def parse_text(src: SourceFile, text: str, limits: Limits = Limits(), is_json: bool = False,
               raw: bytes | None = None, keep_nodes: bool = False) -> SourceFile:
    """Parse a multi-document stream into ``src.documents`` / ``src.problems``.

    Node trees are dropped after the data is built unless ``keep_nodes``; documents then
    find their positions through ``src.node_for`` (a second parse, only for files that
    need a position).
    """
    src.text = text
    shown = src.path
    origins = _helm_sources(text) if "# Source: " in text else None
    ctx = _ChunkContext(limits, is_json, origins, text, keep_nodes, bool(_TEMPLATE_RE.search(text)))
    index = 0
    chunk = raw if raw is not None else text
    last_start = -1
    while chunk is not None:
        index, resume_line = _parse_chunk(src, chunk, index, ctx)
        if resume_line is None:
            break
        if resume_line == -1:
            return _parse_json_fallback(src, text)
        # Resume at the next document separator after the error: keep line numbers by
        # padding with newlines, so later documents of the file are still linted.
        nxt = _DOC_START_RE.search(text, _line_start(text, resume_line))
        if nxt is not None and text.count("\n", 0, nxt.start()) <= last_start:
            nxt = _DOC_START_RE.search(text, _line_start(text, last_start + 1))
        if nxt is None:
            break
        start_line = text.count("\n", 0, nxt.start())
        if start_line <= last_start:
            break
        last_start = start_line
        chunk = "\n" * start_line + text[nxt.start():]
    if ctx.template_values and not src.problems:
        src.problems.append(InputProblem(
            "NPL002", "file holds Helm/Go template markers ({{ ... }}) and is not a rendered manifest; "
            "lint the output of `helm template ... | netpol-lint -` instead", Location.whole_file(shown)))
        src.documents.clear()
    return src


@dataclass
class _ChunkContext:
    limits: Limits
    is_json: bool
    origins: list | None
    text: str
    keep_nodes: bool
    has_markers: bool
    template_values: bool = False


def _parse_chunk(src: SourceFile, chunk, index: int, ctx: _ChunkContext):
    """Parse documents until the end or the first syntax error (returns its 0-based line)."""
    shown = src.path
    limits, is_json, origins, text = ctx.limits, ctx.is_json, ctx.origins, ctx.text
    loader = _Loader(chunk)
    try:
        while True:
            try:
                if not loader.check_node():
                    return index, None
                node = loader.get_node()
            except yaml.YAMLError as exc:
                if is_json and not src.documents:
                    return index, -1
                problem = _yaml_problem(exc, shown, text)
                src.problems.append(problem)
                if problem.rule == "NPL002":
                    return index, None
                mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
                return index + 1, (mark.line if mark is not None else None)
            if node is None:
                continue
            builder = Builder(limits.max_nodes_per_document)
            try:
                data = builder.build(node)
            except ConstructProblem as exc:
                src.problems.append(_template_or_syntax(
                    f"document {index + 1}: {exc}", Location.of_node(shown, exc.node), text))
                index += 1
                continue
            for key, knode in builder.duplicates:
                src.problems.append(InputProblem(
                    "NPL001", f"duplicate mapping key {key!r} (the API server rejects or silently drops one)",
                    Location.of_node(shown, knode)))
            if data is None or data == "":
                index += 1
                continue  # bare '---' or comment-only document
            if ctx.has_markers and not ctx.template_values and _has_template_values(node):
                ctx.template_values = True
            origin = _origin_for(origins, node) if origins else None
            if ctx.keep_nodes:
                src.documents.append(Document(shown, index, data, node, origin))
            else:
                src.documents.append(Document(shown, index, data, None, origin, src.node_for))
            index += 1
    finally:
        try:
            loader.dispose()
        except Exception:
            pass


def _line_start(text: str, line: int) -> int:
    """Offset of the start of 0-based ``line`` (len(text) past the end)."""
    pos = 0
    for _ in range(line):
        pos = text.find("\n", pos)
        if pos < 0:
            return len(text)
        pos += 1
    return pos


def _parse_json_fallback(src: SourceFile, text: str) -> SourceFile:
    """JSON that libyaml refuses (e.g. tab indentation): read it without inner positions."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        src.problems.append(InputProblem("NPL001", f"JSON syntax error: {exc.msg}",
                                         Location.whole_file(src.path, exc.lineno, exc.colno)))
        return src
    if data is not None:
        src.documents.append(Document(src.path, 0, data, None))
    return src


def _yaml_problem(exc: yaml.YAMLError, shown: str, text: str) -> InputProblem:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    msg = f"YAML syntax error: {problem}" + (f" ({context})" if context else "")
    if mark is not None:
        loc = Location.whole_file(shown, mark.line + 1, mark.column + 1)
    else:
        loc = Location.whole_file(shown)
    return _template_or_syntax(msg, loc, text)


def _template_or_syntax(msg: str, loc: Location, text: str) -> InputProblem:
    if _TEMPLATE_RE.search(text):
        return InputProblem(
            "NPL002", "file holds Helm/Go template markers ({{ ... }}) and cannot be read as manifests; "
            "lint the output of `helm template ... | netpol-lint -` instead", Location.whole_file(loc.file))
    return InputProblem("NPL001", msg, loc)


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


def _helm_sources(text: str) -> list[tuple[int, str]]:
    """(line, chart path) of each ``# Source:`` comment in a rendered Helm stream."""
    out = []
    for m in _SOURCE_RE.finditer(text):
        out.append((text.count("\n", 0, m.start()), m.group(1)))
    return out


def _origin_for(origins: list[tuple[int, str]], node: yaml.Node) -> str | None:
    line = node.start_mark.line
    best = None
    for src_line, name in origins:
        if src_line <= line:
            best = name
        else:
            break
    return best
