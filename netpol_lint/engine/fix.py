"""``--fix``: apply the ``LabelFix`` of findings to the files, touching nothing but the labels.

Every fixable rule needs the same edit: set (or remove, or rename) keys of one labels mapping
in one document, creating the mapping (and its ``metadata`` parent) when missing.  The edit is
made *in the text*, at character offsets taken from a libyaml node tree of the file:

* a changed value replaces only that scalar (keeping its quote style and any anchor or tag);
* a new key is a new line after the mapping's last entry, at the same indentation (block
  style), or a new ``, key: value`` entry before the closing brace (flow style and JSON,
  on its own line with the entries' indentation when the mapping spans lines);
* a renamed key (NPL104) is renamed in place;
* a labels mapping that is a YAML alias (``labels: *common``) becomes
  ``{<<: *common, key: value}``-style merge in place, so the anchor and its other users keep
  their meaning.

Why not a ruamel.yaml round trip of the whole document: measured on the 2951 YAML files of
``../shared/corpus`` without template markers, a round trip with the recommended settings
(``preserve_quotes``, guessed indentation, width 4096) gives the same bytes for only 1565;
1308 come back changed and 78 do not load at all (sequence indentation normalised, spacing
before comments, comments re-attached to the following key, flow mappings re-wrapped, CRLF
turned into LF).  A fixer must not rewrite what it does not fix, so the unchanged bytes are
simply never re-emitted: comments, key order, quoting, indentation, document separators,
CRLF line ends, BOMs and JSON layout stay exactly as they were.  New scalars are written
plain only when the linter's loader (which reads YAML like kubectl) reads them back as the
same string, else double-quoted.

Every file is verified before it is written: the new text is parsed again with the linter's
own loader and must give exactly the original data plus the intended label changes and
nothing else (an anchor shared with a selector, a merge key that would be overridden, ...
make the check fail and that change is left out, with a message; the others still apply).
Files are written atomically (temporary file + rename, permission bits kept), and never when
they fail to parse, are read-only, or changed since they were linted.
"""
from __future__ import annotations

import codecs
import difflib
import functools
import itertools
import json
import math
import os
import re
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable, cast

import yaml

from .findings import Finding, LabelFix, describe_resource
from ..fsutil import write_atomic
from ..load.documents import Document
from ..load.loader import SourceFile, parse_json, parse_text
from ..wording import count

if TYPE_CHECKING:  # pragma: no cover
    from .linter import LintResult
    from ..model.session import Session

# What one labels mapping's fixes amount to (``_group``): labels to set, labels to remove,
# the findings fixed, and renames (old key -> new key, NPL104).
LabelPath = tuple[str | int, ...]
Sets = dict[str, str | int]
Edit = tuple[int, int, str]
_Grouped = tuple[Sets, set[str], list[Finding], dict[str, str]]

_PLAIN_SAFE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-/]*$")
_PROPS = re.compile(r"^((?:[&!][^\s]*\s+)*)")          # anchor / tag prefix of a node's text
_ALIAS_AFTER_KEY = re.compile(r"[ \t]*:[ \t]*(\*[^\s,\[\]{}#]+)")
_NULL_TEXT = {"~", "null", "Null", "NULL"}
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STR_TAG = "tag:yaml.org,2002:str"


class FixError(Exception):
    """This edit cannot be made safely; the file is left alone and the reason reported."""


@dataclass
class FileResult:
    path: str
    status: str                 # "fixed" | "would-fix" | "unchanged" | "skipped"
    message: str = ""
    findings: int = 0           # findings whose fix is in this file's change
    diff: str = ""
    notes: list[str] = field(default_factory=list)   # fixes left out of a changed file, and why


@dataclass
class FixReport:
    files: list[FileResult] = field(default_factory=list)

    @property
    def changed(self) -> list[FileResult]:
        return [f for f in self.files if f.status in ("fixed", "would-fix")]

    @property
    def skipped(self) -> list[FileResult]:
        return [f for f in self.files if f.status == "skipped"]

    @property
    def fixed_findings(self) -> int:
        return sum(f.findings for f in self.changed)


# -- entry point --------------------------------------------------------------------------

def apply_fixes(findings: Iterable[Finding], files: Iterable[SourceFile], *, write: bool = True) -> FixReport:
    """Apply the fixes of ``findings`` to the files they name (``write=False``: diffs only)."""
    by_file: dict[str, list[tuple[Finding, LabelFix]]] = {}
    for f in findings:
        if f.fix is not None and isinstance(f.fix, LabelFix):
            by_file.setdefault(f.fix.file, []).append((f, f.fix))
    sources = {s.path: s for s in files}
    report = FixReport()
    seen: dict[str, str] = {}                      # real path -> the display path fixed for it
    for path in sorted(by_file):
        real = os.path.realpath(path) if path != "-" else path
        if real in seen:
            report.files.append(FileResult(path, "skipped", f"same file as {seen[real]} (fixed there)"))
            continue
        seen[real] = path
        report.files.append(fix_file(path, sources.get(path), by_file[path], write=write))
    return report


def fix_file(path: str, src: SourceFile | None, fixes: list[tuple[Finding, LabelFix]], *,
             write: bool = True) -> FileResult:
    """Fix one file; never raises for bad input (the reason is in the result)."""
    try:
        return _fix_file(path, src, fixes, write)
    except FixError as exc:
        return FileResult(path, "skipped", str(exc))
    except OSError as exc:
        return FileResult(path, "skipped", f"cannot write: {exc.strerror or exc}")


def _fix_file(path: str, src: SourceFile | None, fixes: list[tuple[Finding, LabelFix]], write: bool) -> FileResult:
    if path == "-":
        raise FixError("standard input cannot be fixed in place")
    if src is None:
        raise FixError("not part of the linted input")
    if src.text is None:
        raise FixError("changed since it was linted; not touched")
    if src.problems:
        raise FixError("the file does not parse cleanly (NPL001/NPL002); not touched")
    try:
        raw = _read(path)
    except OSError as exc:
        raise FixError(f"cannot read: {exc.strerror or exc}") from None
    bom = raw.startswith(codecs.BOM_UTF8)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FixError("only UTF-8 files are fixed") from None
    if text != src.text:
        raise FixError("changed since it was linted; not touched")
    if write and not _writable(path):
        raise FixError("read-only; not touched")
    plan = plan_text(src, text, fixes)
    if not plan.edits:
        if plan.notes:
            raise FixError("; ".join(plan.notes))
        return FileResult(path, "unchanged", "the fixes change nothing")
    new_text, notes, count = plan.new_text, plan.notes, plan.findings
    data = (codecs.BOM_UTF8 if bom else b"") + new_text.encode("utf-8")
    diff = unified_diff(path, text, new_text)
    if not write:
        return FileResult(path, "would-fix", "", count, diff, notes)
    if _read(path) != raw:
        raise FixError("changed during the run; not touched")
    write_atomic(os.path.realpath(path), data)        # through a symlink, not over it
    return FileResult(path, "fixed", "", count, diff, notes)


@dataclass
class TextPlan:
    """The verified edits for one file's text: ``(start, end, new)`` at character offsets
    (code points) into the text, the text they give, the fixes left out and why, and how
    many findings the edits fix."""

    edits: list[tuple[int, int, str]]
    new_text: str
    notes: list[str]
    findings: int = 0


def plan_text(src: SourceFile, text: str, fixes: list[tuple[Finding, LabelFix]]) -> TextPlan:
    """Plan and verify the ``fixes`` of one file against ``text`` (what ``src`` was parsed
    from), writing nothing: the same edits ``--fix`` makes, for callers that apply them
    elsewhere (the language server's code actions).  Raises ``FixError`` only for fixes
    that contradict each other; every other reason a fix is left out is in ``notes``."""
    is_json = src.path.lower().endswith(".json")
    docs = {d.index: d for d in src.documents}
    roots = _compose_all(text)
    planned: list[_Planned] = []
    notes: list[str] = []
    for (doc_index, fpath), (sets, removes, who, renames) in _group(fixes).items():
        doc = docs.get(doc_index)
        try:
            root = roots[doc_index] if doc is not None and doc_index < len(roots) else None
            if root is None or doc is None or not _same_start(doc, root):
                raise FixError("the document's position is unclear; fix by hand")
            edits = _Editor(text, root, is_json).plan(fpath, sets, removes, renames)
            apply_to_data(doc.data, fpath, sets, removes)
        except FixError as exc:
            notes.append(f"{_who(who)}: {exc}")
            continue
        planned.append(_Planned(doc_index, fpath, sets, removes, edits, who))
    kept, new_text = _verified(src.path, text, is_json, docs, planned, notes)
    edits = sorted((e for p in kept for e in p.edits), key=lambda e: (e[0], e[1]))
    return TextPlan(edits, new_text, notes, sum(len(p.who) for p in kept))


def edits_for(finding: Finding, src: SourceFile, text: str) -> TextPlan:
    """The verified edits that fix one ``finding`` in ``text`` (nothing is written)."""
    if not isinstance(finding.fix, LabelFix):
        return TextPlan([], text, ["not fixable"])
    return plan_text(src, text, [(finding, finding.fix)])


@dataclass
class _Planned:
    """The edits for one labels mapping, and the findings they fix."""

    doc_index: int
    path: LabelPath
    sets: Sets
    removes: set[str]
    edits: list[Edit]
    who: list[Finding]


def _who(findings: list[Finding]) -> str:
    r = findings[0].resource or {}
    if not r:
        return f"line {findings[0].location.line}"
    return describe_resource(r)


def _verified(path: str, text: str, is_json: bool, docs: dict[int, Document], planned: list[_Planned],
              notes: list[str]) -> tuple[list[_Planned], str]:
    """The planned changes that verify, and the resulting text.

    All together first; if that fails, each change alone, then the ones that passed together
    again (a change that breaks only in combination drops everything, conservatively).
    """
    def attempt(group: list[_Planned]) -> tuple[str | None, str]:
        """(new text or None, why not): None without a reason means "no change"."""
        try:
            new_text = _apply_edits(text, [e for p in group for e in p.edits])
            if new_text == text:
                return None, ""
            expected = {i: d.data for i, d in docs.items()}
            for p in group:
                expected[p.doc_index] = apply_to_data(expected[p.doc_index], p.path, p.sets, p.removes)
            _verify(path, new_text, is_json, expected)
            return new_text, ""
        except FixError as exc:
            return None, str(exc)

    if not planned:
        return [], text
    new_text, error = attempt(planned)
    if new_text is not None or not error:
        return (planned if new_text is not None else []), (new_text or text)
    if len(planned) == 1:
        notes.append(f"{_who(planned[0].who)}: {error}")
        return [], text
    good: list[_Planned] = []
    for p in planned:
        alone, why = attempt([p])
        if alone is not None:
            good.append(p)
        elif why:
            notes.append(f"{_who(p.who)}: {why}")
    if good:
        new_text, error = attempt(good)
        if new_text is not None:
            return good, new_text
        notes.append(f"the fixes verify one by one but not together: {error}")
    return [], text


def unified_diff(path: str, old: str, new: str) -> str:
    """``git apply``-able unified diff (marks a missing newline at the end of file)."""
    out = []
    for line in difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                     f"a/{path}", f"b/{path}"):
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


def _compose_all(text: str) -> list[yaml.Node]:
    """Node trees of every document, with marks as offsets into ``text`` (code points).

    The fixer composes the text itself rather than reuse the loader's trees: its edits need
    absolute character offsets, whatever the loader does to save memory or time.  The file
    already parsed cleanly under the loader's limits, so this cannot blow up.
    """
    try:
        return list(yaml.compose_all(text, Loader=_LOADER))
    except yaml.YAMLError as exc:
        raise FixError(f"cannot locate the labels ({getattr(exc, 'problem', None) or exc}); fix by hand") from None


def _same_start(doc: Document, root: yaml.Node) -> bool:
    """The loader's document ``doc`` is the one composed here (same start position)."""
    theirs = doc.root()
    return theirs is None or (theirs.start_mark.line, theirs.start_mark.column) == (
        root.start_mark.line, root.start_mark.column)


def _read(path: str) -> bytes:
    with open(path, "rb") as fh:
        return fh.read()


def _writable(path: str) -> bool:
    """Writable for us, and not marked read-only (root may write anything; we still respect 0444)."""
    path = os.path.realpath(path)
    directory = os.path.dirname(path) or "."
    try:
        marked_read_only = not os.stat(path).st_mode & 0o222
    except OSError:
        return False
    return not marked_read_only and os.access(path, os.W_OK) and os.access(directory, os.W_OK | os.X_OK)


def _group(fixes: list[tuple[Finding, LabelFix]]) -> dict[tuple[int, LabelPath], _Grouped]:
    """Merge the fixes of each labels mapping; conflicting values are an error."""
    out: dict[tuple[int, LabelPath], _Grouped] = {}
    for finding, fx in fixes:
        key = (fx.doc_index, tuple(fx.path))
        sets, removes, who, renames = out.setdefault(key, ({}, set(), [], {}))
        for k, v in fx.set:
            if k in sets and sets[k] != v:
                raise FixError(f"conflicting fixes for label {k}: {sets[k]!r} and {v!r}")
            sets[k] = v
        removes.update(fx.remove)
        if len(fx.remove) == 1 and len(fx.set) == 1:
            renames[fx.remove[0]] = fx.set[0][0]       # NPL104: one key replaces another
        who.append(finding)
    for sets, removes, _, _ in out.values():
        both = removes & set(sets)
        if both:
            raise FixError(f"conflicting fixes: label {min(both)} is both set and removed")
    return out


def _apply_edits(text: str, edits: list[tuple[int, int, str]]) -> str:
    edits = sorted(edits, key=lambda e: (e[0], e[1]))
    for a, b in itertools.pairwise(edits):
        if b[0] < a[1]:
            raise FixError("overlapping edits")
    out, pos = [], 0
    for start, end, new in edits:
        out.append(text[pos:start])
        out.append(new)
        pos = end
    out.append(text[pos:])
    return "".join(out)


# -- verification -------------------------------------------------------------------------

def apply_to_data(data: Any, path: LabelPath, sets: Sets, removes: Iterable[str]) -> Any:
    """``data`` with the label changes applied, copying (never mutating) along ``path``."""
    def cow(obj: Any) -> Any:
        return dict(obj) if isinstance(obj, dict) else list(obj) if isinstance(obj, list) else obj
    root = cow(data)
    cur = root
    for step in path:
        if isinstance(cur, dict):
            nxt = cur.get(step)
            nxt = {} if nxt is None else cow(nxt)
            cur[step] = nxt
        elif isinstance(cur, list) and isinstance(step, int) and -len(cur) <= step < len(cur):
            nxt = cow(cur[step])
            cur[step] = nxt
        else:
            raise FixError("the path to the labels crosses a value that is not a mapping")
        cur = nxt
    if not isinstance(cur, dict):
        raise FixError("the labels are not a mapping")
    for k in removes:
        cur.pop(k, None)
    for k, v in sets.items():
        cur[k] = v
    return root


def _verify(path: str, new_text: str, is_json: bool, expected: dict[int, Any]) -> None:
    src = SourceFile(path)
    (parse_json if is_json else parse_text)(src, new_text)
    if src.problems:
        p = src.problems[0]
        raise FixError(f"the fixed text would not parse ({p.message}); not touched")
    got = {d.index: d.data for d in src.documents}
    if set(got) != set(expected) or not all(same(got[i], expected[i]) for i in expected):
        raise FixError("the edit would change more than the labels (a YAML anchor or merge key shared "
                       "with other fields?); fix by hand")


def same(a: Any, b: Any, _seen: set[tuple[int, int]] | None = None) -> bool:
    """Equal data *and* equal types (``1`` is not ``True``, ``"1"`` is not ``1``)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, (dict, list)):
        seen = _seen if _seen is not None else set()
        pair = (id(a), id(b))
        if pair in seen:
            return True
        seen.add(pair)
        if isinstance(a, dict):
            return a.keys() == b.keys() and all(same(a[k], b[k], seen) for k in a)
        return len(a) == len(b) and all(same(x, y, seen) for x, y in zip(a, b, strict=True))
    return a == b or (isinstance(a, float) and math.isnan(a) and math.isnan(b))


# -- rendering ----------------------------------------------------------------------------

def render_scalar(value: str, style: str | None = None, json_mode: bool = False) -> str:
    """Text for a string: plain when the linter's loader reads it back as that string, else quoted.

    The loader reads YAML the way kubectl does (``y``, ``no``, ``0755``, ``1e3`` are not
    strings there), so "reads back" is checked with the loader itself rather than assumed.
    """
    if json_mode or style == '"':
        return json.dumps(value)
    if style == "'":
        return "'" + value.replace("'", "''") + "'"
    if _PLAIN_SAFE.match(value) and _plain_reads_back(value):
        return value
    return json.dumps(value)


@functools.lru_cache(maxsize=1024)
def _plain_reads_back(value: str) -> bool:
    """``value`` written plain is that string both as a key and as a value, block and flow."""
    src = parse_text(SourceFile("<render>"), f"{value}: {value}\nx: {{{value}: {value}}}\n")
    return not src.problems and len(src.documents) == 1 and same(
        src.documents[0].data, {value: value, "x": {value: value}})


# -- the editor ---------------------------------------------------------------------------

class _Editor:
    """Plans text edits for one labels mapping of one document."""

    def __init__(self, text: str, root: yaml.Node, is_json: bool):
        self.text, self.root, self.json = text, root, is_json
        nl = text.find("\n")
        self.nl = "\r\n" if nl > 0 and text[nl - 1] == "\r" else "\n"

    # -- navigation ---------------------------------------------------------------------
    def plan(self, path: LabelPath, sets: Sets, removes: set[str], renames: dict[str, str] | None = None) -> list[Edit]:
        node = self.root
        parent_key: yaml.Node | None = None
        for i, step in enumerate(path):
            if isinstance(node, yaml.MappingNode):
                pair = _pair(node, step)
                if pair is None:
                    return self._create(node, parent_key, path[i:], sets)
                k, v = pair
                if self._is_alias(k, v):
                    if i == len(path) - 1 and isinstance(v, yaml.MappingNode):
                        return self._merge_alias(node, k, sets, removes)
                    raise FixError(f"{'.'.join(map(str, path[:i + 1]))} is a YAML alias; fix by hand")
                if _is_null(v):
                    return self._fill_null(node, k, v, path[i + 1:], sets)
                node, parent_key = v, k
            elif isinstance(node, yaml.SequenceNode):
                if not isinstance(step, int) or not 0 <= step < len(node.value):
                    raise FixError("the path to the labels does not exist")
                item = node.value[step]
                if item.start_mark.index < node.start_mark.index:
                    raise FixError("the path to the labels goes through a YAML alias; fix by hand")
                node, parent_key = item, None
            else:
                raise FixError("the path to the labels crosses a value that is not a mapping")
        if not isinstance(node, yaml.MappingNode):
            raise FixError("the labels are not a mapping")
        self._check_not_shared(node)
        return self._edit_mapping(node, sets, removes, renames or {})

    def _check_not_shared(self, m: yaml.MappingNode) -> None:
        """An anchored labels mapping reused elsewhere (``&l`` ... ``*l``) would change there too."""
        anchor = re.match(r"&([^\s,\[\]{}]+)", self.text[m.start_mark.index:m.start_mark.index + 256])
        if anchor and re.search(r"\*" + re.escape(anchor.group(1)) + r"(?![^\s,\[\]{}])", self.text):
            raise FixError(f"the labels mapping is anchored (&{anchor.group(1)}) and reused elsewhere; "
                           f"changing it would change the other uses too; fix by hand")

    def _is_alias(self, k: yaml.Node, v: yaml.Node) -> bool:
        return v.start_mark.index < k.end_mark.index

    # -- an existing mapping ------------------------------------------------------------
    def _edit_mapping(self, m: yaml.MappingNode, sets: Sets, removes: set[str], renames: dict[str, str]) -> list[Edit]:
        edits: list[Edit] = []
        entries: dict[str, tuple[yaml.ScalarNode, yaml.Node]] = {}
        for k, v in m.value:
            if isinstance(k, yaml.ScalarNode) and k.tag == _STR_TAG:
                entries[k.value] = (k, v)
        sets = dict(sets)
        removes = set(removes)
        # rename in place (NPL104): the key text changes; position and comments stay, and the
        # value is then set like any existing key's
        for old, new in sorted(renames.items()):
            if old in entries and new not in entries and old in removes and new in sets:
                k, v = entries.pop(old)
                edits.append((k.start_mark.index, k.end_mark.index, self._scalar(new, k.style)))
                entries[new] = (k, v)
                removes.discard(old)
        for key in sorted(removes):
            if key in entries:
                edits.append(self._delete(m, *entries[key]))
        additions: Sets = {}
        for key, value in sets.items():
            if key not in entries:
                additions[key] = value
                continue
            k, v = entries[key]
            if self._is_alias(k, v):
                span = self._alias_span(k)
                edits.append((span[0], span[1], self._scalar(value, None)))
            elif not isinstance(v, yaml.ScalarNode) or v.style in ("|", ">"):
                raise FixError(f"label {key} has a value that is not a simple scalar; fix by hand")
            elif isinstance(value, int) and not isinstance(value, bool):
                if not (v.tag == "tag:yaml.org,2002:int" and v.value == str(value)):
                    start, end = v.start_mark.index, v.end_mark.index
                    props = _PROPS.match(self.text[start:end]).group(1)  # type: ignore[union-attr]  # matches every text
                    edits.append((start + len(props), end, str(value)))
            elif not (v.tag == _STR_TAG and v.value == value):
                start, end = v.start_mark.index, v.end_mark.index
                props = _PROPS.match(self.text[start:end]).group(1)  # type: ignore[union-attr]  # matches every text
                edits.append((start + len(props), end, self._scalar(value, v.style)))
        if additions:
            edits.append(self._add_entries(m, additions))
        return edits

    def _add_entries(self, m: yaml.MappingNode, additions: Sets) -> Edit:
        if self._flow(m):
            return self._add_flow(m, [self._entry(k, v, m) for k, v in additions.items()])
        k, v = m.value[-1]
        pos = self._entry_end(k, v)
        col = m.value[0][0].start_mark.column
        lines = [" " * col + self._entry(key, value, m) for key, value in additions.items()]
        return self._insert_lines(pos, lines)

    def _entry(self, key: str, value: str | int, m: yaml.MappingNode | None) -> str:
        style = None
        if m is not None and m.value and self._flow(m) and m.value[0][0].style == '"':
            style = '"'
        return f"{self._scalar(key, style)}: {self._scalar(value, style)}"

    def _scalar(self, value: str | int, style: str | None) -> str:
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        return render_scalar(cast(str, value), style, self.json)     # not a bool: a LabelFix sets str or int

    def _flow(self, m: yaml.Node) -> bool:
        first = self.text[m.start_mark.index:m.start_mark.index + 1]
        return bool(getattr(m, "flow_style", False)) or (first != "" and first in "{[")

    def _add_flow(self, m: yaml.MappingNode, entries: list[str]) -> tuple[int, int, str]:
        close = m.end_mark.index - 1
        if self.text[close:close + 1] != "}":
            raise FixError("unexpected flow mapping layout; fix by hand")
        if not m.value:
            return (close, close, ", ".join(entries))
        k, v = m.value[-1]
        end = self._alias_span(k)[1] if self._is_alias(k, v) else v.end_mark.index
        if k.start_mark.line != m.start_mark.line:
            indent = " " * k.start_mark.column
            return (end, end, "".join(f",{self.nl}{indent}{e}" for e in entries))
        return (end, end, "".join(f", {e}" for e in entries))

    def _delete(self, m: yaml.MappingNode, k: yaml.Node, v: yaml.Node) -> tuple[int, int, str]:
        if self._flow(m):
            idx = next(i for i, (kk, _) in enumerate(m.value) if kk is k)
            if idx + 1 < len(m.value):
                return (k.start_mark.index, m.value[idx + 1][0].start_mark.index, "")
            if idx > 0:
                pk, pv = m.value[idx - 1]
                start = self._alias_span(pk)[1] if self._is_alias(pk, pv) else pv.end_mark.index
                return (start, v.end_mark.index if not self._is_alias(k, v) else self._alias_span(k)[1], "")
            raise FixError("removing the only label would leave an empty mapping; fix by hand")
        if len(m.value) == 1:
            raise FixError("removing the only label would leave an empty mapping; fix by hand")
        line_start = self.text.rfind("\n", 0, k.start_mark.index) + 1
        if self.text[line_start:k.start_mark.index].strip():
            raise FixError("the label to remove does not start its own line; fix by hand")
        return (line_start, self._entry_end(k, v), "")

    # -- where an entry ends, inserting lines ------------------------------------------
    def _line_end(self, index: int) -> int:
        """Offset just after the line break ending the line that holds ``index``."""
        nl = self.text.find("\n", index)
        return len(self.text) if nl < 0 else nl + 1

    def _entry_end(self, k: yaml.Node, v: yaml.Node) -> int:
        """Offset of the start of the line after a block mapping entry."""
        if self._is_alias(k, v) or (_is_null(v) and v.start_mark.index == v.end_mark.index):
            return self._line_end(k.end_mark.index)
        return self._node_end(v)

    def _node_end(self, v: yaml.Node) -> int:
        if isinstance(v, yaml.ScalarNode):
            if v.style in ("|", ">"):
                e = v.end_mark
                return e.index if e.column == 0 else self._line_end(e.index)
            return self._line_end(v.end_mark.index)
        if self._flow(v) or not v.value:
            return self._line_end(v.end_mark.index)
        if isinstance(v, yaml.MappingNode):
            return self._entry_end(*v.value[-1])
        item = v.value[-1]
        if item.start_mark.index < v.start_mark.index:
            raise FixError("a YAML alias ends the mapping; fix by hand")
        return self._node_end(item)

    def _insert_lines(self, pos: int, lines: list[str]) -> tuple[int, int, str]:
        nl = self._nl_near(pos)
        if pos == len(self.text) and self.text and not self.text.endswith("\n"):
            return (pos, pos, "".join(nl + line for line in lines))   # keep "no newline at end"
        return (pos, pos, "".join(line + nl for line in lines))

    def _nl_near(self, pos: int) -> str:
        before = self.text.rfind("\n", 0, pos)
        if before > 0:
            return "\r\n" if self.text[before - 1] == "\r" else "\n"
        return self.nl

    def _alias_span(self, k: yaml.Node) -> tuple[int, int]:
        m = _ALIAS_AFTER_KEY.match(self.text, k.end_mark.index)
        if m is None:
            raise FixError("unexpected alias layout; fix by hand")
        return m.start(1), m.end(1)

    # -- creating what is missing -------------------------------------------------------
    def _subtree(self, missing: LabelPath, sets: Sets) -> Any:
        for step in missing:
            if not isinstance(step, str):
                raise FixError("the path to the labels does not exist")
        tree: Any = dict(sets)
        for step in reversed(missing):
            tree = {step: tree}
        return tree

    def _create(self, m: yaml.MappingNode, parent_key: yaml.Node | None, missing: LabelPath, sets: Sets) -> list[Edit]:
        tree = self._subtree(missing, sets)
        (key, value), = tree.items()
        if self._flow(m):
            return [self._add_flow(m, [self._flow_entry(key, value, m)])]
        col = m.value[0][0].start_mark.column
        step = self._indent_step(m, parent_key)
        lines = self._block_lines(tree, col, step)
        entries = {kk.value: (kk, vv) for kk, vv in m.value if isinstance(kk, yaml.ScalarNode)}
        anchor_keys = [n for n in ("name", "generateName", "namespace") if n in entries]
        if key == "labels" and anchor_keys:
            last = max((entries[n] for n in anchor_keys), key=lambda kv: kv[0].start_mark.index)
            return [self._insert_lines(self._entry_end(*last), lines)]
        first = m.value[0][0]
        line_start = self.text.rfind("\n", 0, first.start_mark.index) + 1
        if not self.text[line_start:first.start_mark.index].strip():
            return [self._insert_lines(self._above_comments(line_start, col), lines)]
        return [self._insert_lines(self._entry_end(*m.value[-1]), lines)]

    def _above_comments(self, line_start: int, col: int) -> int:
        """Move an insertion point above the comment lines that introduce the next key."""
        while line_start > 0:
            prev_start = self.text.rfind("\n", 0, line_start - 1) + 1
            line = self.text[prev_start:line_start].rstrip("\r\n")
            if not line.lstrip().startswith("#") or len(line) - len(line.lstrip(" ")) != col:
                break
            line_start = prev_start
        return line_start

    def _fill_null(self, parent: yaml.MappingNode, k: yaml.Node, v: yaml.Node, missing: LabelPath, sets: Sets) -> list[Edit]:
        tree = self._subtree(missing, sets)
        if v.start_mark.index != v.end_mark.index or self._flow(parent):
            text = self._flow_value(tree, parent)
            if v.start_mark.index == v.end_mark.index:
                text = " " + text
            return [(v.start_mark.index, v.end_mark.index, text)]
        step = self._indent_step(parent, None)
        lines = self._block_lines(tree, k.start_mark.column + step, step)
        return [self._insert_lines(self._line_end(k.end_mark.index), lines)]

    def _merge_alias(self, parent: yaml.MappingNode, k: yaml.Node, sets: Sets, removes: set[str]) -> list[Edit]:
        if removes:
            raise FixError("cannot remove a label from an aliased mapping; fix by hand")
        start, end = self._alias_span(k)
        alias = self.text[start:end]
        entries = ", ".join(self._entry(key, value, None) for key, value in sets.items())
        if self.json:
            raise FixError("aliases do not exist in JSON")
        return [(start, end, f"{{<<: {alias}, {entries}}}")]

    def _indent_step(self, m: yaml.MappingNode, parent_key: yaml.Node | None) -> int:
        if parent_key is not None and m.value:
            step: int = m.value[0][0].start_mark.column - parent_key.start_mark.column
            if step > 0:
                return step
        for k, v in m.value:
            if isinstance(v, yaml.MappingNode) and v.value and not self._flow(v) and not self._is_alias(k, v):
                step = v.value[0][0].start_mark.column - k.start_mark.column
                if step > 0:
                    return step
        return 2

    def _block_lines(self, tree: dict[str, Any], col: int, step: int) -> list[str]:
        lines = []
        for key, value in tree.items():
            if isinstance(value, dict):
                lines.append(" " * col + f"{self._scalar(key, None)}:")
                lines.extend(self._block_lines(value, col + step, step))
            else:
                lines.append(" " * col + f"{self._scalar(key, None)}: {self._scalar(value, None)}")
        return lines

    def _flow_entry(self, key: str, value: Any, m: yaml.MappingNode) -> str:
        style = '"' if self.json or (m.value and m.value[0][0].style == '"') else None
        if self.json and m.value and m.value[-1][0].start_mark.line != m.start_mark.line:
            indent_col = m.value[-1][0].start_mark.column
            step = max(indent_col - self._line_indent(m.start_mark.index), 1)
            body = json.dumps(value, indent=step).replace("\n", self.nl + " " * indent_col)
            return f"{json.dumps(key)}: {body}"
        return f"{render_scalar(key, style, self.json)}: {self._flow_text(value, style)}"

    def _flow_value(self, tree: Any, parent: yaml.MappingNode) -> str:
        style = '"' if self.json or (parent.value and parent.value[0][0].style == '"') else None
        return self._flow_text(tree, style)

    def _flow_text(self, value: Any, style: str | None) -> str:
        if isinstance(value, dict):
            inner = ", ".join(f"{render_scalar(k, style, self.json)}: {self._flow_text(v, style)}"
                              for k, v in value.items())
            return "{" + inner + "}"
        return render_scalar(value, style, self.json)

    def _line_indent(self, index: int) -> int:
        start = self.text.rfind("\n", 0, index) + 1
        line = self.text[start:index]
        return len(line) - len(line.lstrip(" "))


def _pair(m: yaml.MappingNode, step: Any) -> tuple[yaml.Node, yaml.Node] | None:
    found = None
    for k, v in m.value:
        if isinstance(k, yaml.ScalarNode) and k.tag == _STR_TAG and k.value == step:
            found = (k, v)
    return found


def _is_null(v: yaml.Node) -> bool:
    return (isinstance(v, yaml.ScalarNode) and v.tag == "tag:yaml.org,2002:null"
            and (v.value == "" or v.value in _NULL_TEXT))


# -- the lint command's --fix -------------------------------------------------------------

def run(result: LintResult, session: Session, *, diff: bool = False) -> FixReport:
    """``lint --fix [--diff]``: apply (or show) the fixes of the reported findings.

    Files that cannot be fixed are named on stderr with the reason; with ``--diff`` the
    unified diff goes to stdout and nothing is written.
    """
    files = [f for f in session.files if not hasattr(f, "origin_root")]   # never rendered output
    report = apply_fixes(result.findings, files, write=not diff)
    for f in report.files:
        if f.status == "skipped":
            print(f"netpol-lint: {f.path}: not fixed: {f.message}", file=sys.stderr)
        for note in f.notes:
            print(f"netpol-lint: {f.path}: not fixed: {note}", file=sys.stderr)
    if diff:
        sys.stdout.write("".join(f.diff for f in report.changed))
        sys.stdout.flush()
        print(summary_line(report, would=True), file=sys.stderr)
    return report


def summary_line(report: FixReport, would: bool = False) -> str:
    n, m = report.fixed_findings, len(report.changed)
    verb = "Would fix" if would else "Fixed"
    return f"{verb} {count(n, 'finding')} in {count(m, 'file')}."
