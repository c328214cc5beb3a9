"""Manifests as they were at a git revision, read from git objects (``diff --base REF``).

Nothing is checked out and the working tree, the index and the refs are never touched: the
tree is listed with ``git ls-tree -r -z -l`` and the blobs are read with one
``git cat-file --batch``, then parsed in memory by the same loader functions that read files
(``decode`` / ``parse_text`` / ``parse_json``), so both states of a diff are read alike.

Only plumbing commands run, which execute no hooks, filters or textconv drivers from the
repository; ``core.fsmonitor`` is switched off on the command line all the same, and no
command reads the index.  Selection mirrors ``loader.discover``: a named file is taken
whatever its suffix; a named directory contributes its ``*.yaml``/``*.yml``/``*.json`` files,
hidden directories below it skipped and ``--exclude`` globs applied to the path relative to
the repository root.  A symbolic link is followed only to a file of the same tree inside the
directory argument it was found under (the whole tree for a named file), as ``discover``
requires of links in the working tree; submodules are skipped.  Display paths are relative to the repository root.
"""
from __future__ import annotations

import os
import posixpath
import subprocess
from dataclasses import dataclass
from fnmatch import fnmatch

from .documents import Location
from .loader import MANIFEST_SUFFIXES, InputProblem, Limits, SourceFile, decode, parse_json, parse_text

SYMLINK_MODE = "120000"


class GitError(Exception):
    """git is missing, the directory is not a repository, or the revision does not exist."""


@dataclass(frozen=True)
class TreeEntry:
    path: str
    mode: str
    type: str
    sha: str
    size: int


def _git(args: list[str], cwd: str, stdin: bytes | None = None) -> bytes:
    env = dict(os.environ)
    env.update({"GIT_OPTIONAL_LOCKS": "0", "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"})
    cmd = ["git", "-c", "core.fsmonitor=false", "--no-pager", *args]
    try:
        proc = subprocess.run(cmd, cwd=cwd, input=stdin, capture_output=True, env=env, timeout=600)
    except FileNotFoundError:
        raise GitError("git is not installed (needed for --base)") from None
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise GitError(f"cannot run git: {exc}") from None
    if proc.returncode != 0:
        msg = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(msg[-1] if msg else f"git {args[0]} failed")
    return proc.stdout


def repo_root(cwd: str = ".") -> str:
    """The top directory of the repository containing ``cwd``."""
    out = _git(["rev-parse", "--show-toplevel"], cwd).decode("utf-8", "surrogateescape").strip()
    if not out:
        raise GitError(f"{cwd} is not inside a git work tree")
    return out


def resolve_commit(root: str, ref: str) -> str:
    """The commit id ``ref`` names (GitError if it names none)."""
    if not ref or ref.startswith("-") or "\0" in ref:
        raise GitError(f"bad revision '{ref}'")
    try:
        out = _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], root)
    except GitError:
        raise GitError(f"unknown revision '{ref}' (not a commit in {root})") from None
    return out.decode().strip()


def list_tree(root: str, commit: str) -> list[TreeEntry]:
    """Every entry of the commit's tree, recursively (blobs, symlinks, submodules)."""
    raw = _git(["ls-tree", "-r", "-z", "-l", "--full-tree", commit], root)
    out = []
    for rec in raw.split(b"\0"):
        if not rec:
            continue
        meta, _, path = rec.partition(b"\t")
        parts = meta.split()
        if len(parts) != 4:
            continue
        mode, typ, sha, size = (p.decode() for p in parts)
        out.append(TreeEntry(path.decode("utf-8", "surrogateescape"), mode, typ, sha,
                             int(size) if size.isdigit() else 0))
    return out


def read_blobs(root: str, shas: list[str]) -> dict[str, bytes]:
    """Contents of ``shas`` through one ``git cat-file --batch``."""
    if not shas:
        return {}
    unique = list(dict.fromkeys(shas))
    raw = _git(["cat-file", "--batch"], root, stdin=("\n".join(unique) + "\n").encode())
    out: dict[str, bytes] = {}
    pos = 0
    for sha in unique:
        nl = raw.find(b"\n", pos)
        if nl < 0:
            break
        header = raw[pos:nl].split()
        pos = nl + 1
        if len(header) == 2 and header[1] == b"missing":
            continue
        if len(header) != 3 or not header[2].isdigit():
            raise GitError(f"unexpected git cat-file output for {sha}")
        size = int(header[2])
        out[sha] = raw[pos:pos + size]
        pos += size + 1
    return out


def select(entries: list[TreeEntry], paths: list[str], excludes: list[str]) -> list[tuple[TreeEntry, str]]:
    """The entries ``loader.discover`` would take for ``paths`` (repository-relative, ``.`` = all),
    each with the directory its symlinks must stay inside (``""``: the whole tree)."""
    by_path = {e.path: e for e in entries}
    chosen: dict[str, tuple[TreeEntry, str]] = {}

    def excluded(p: str) -> bool:
        return any(fnmatch(p, g) or fnmatch(p, g.rstrip("/") + "/*") or fnmatch(posixpath.basename(p), g)
                   for g in excludes)

    for raw in paths:
        spec = posixpath.normpath(raw) if raw not in ("", ".") else ""
        entry = by_path.get(spec)
        if entry is not None:
            if not excluded(spec):
                chosen.setdefault(spec, (entry, ""))
            continue
        prefix = spec + "/" if spec else ""
        for e in entries:
            if not e.path.startswith(prefix):
                continue
            rest = e.path[len(prefix):].split("/")
            dirs = [posixpath.join(spec, *rest[:i + 1]) for i in range(len(rest) - 1)]
            if any(d.startswith(".") for d in rest[:-1]) or any(excluded(d) for d in dirs):
                continue
            if e.path.lower().endswith(MANIFEST_SUFFIXES) and not excluded(e.path):
                chosen.setdefault(e.path, (e, spec))
    return [chosen[p] for p in sorted(chosen)]


def _follow(entry: TreeEntry, root: str, by_path: dict[str, TreeEntry], blobs: dict[str, bytes]) -> TreeEntry | None:
    """A symlink's target (up to 8 hops) when it stays inside ``root``, as ``discover`` requires."""
    hops = 0
    while entry.mode == SYMLINK_MODE and hops < 8:
        target = blobs.get(entry.sha, b"").decode("utf-8", "surrogateescape")
        if not target or target.startswith("/"):
            return None
        resolved = posixpath.normpath(posixpath.join(posixpath.dirname(entry.path), target))
        if resolved == ".." or resolved.startswith("../") or (root and not resolved.startswith(root + "/")):
            return None
        entry = by_path.get(resolved)
        if entry is None:
            return None
        hops += 1
    return entry if entry.mode != SYMLINK_MODE and entry.type == "blob" else None


def load_revision(root: str, commit: str, paths: list[str], excludes: list[str] = (),
                  limits: Limits = Limits(), entries: list[TreeEntry] | None = None) -> list[SourceFile]:
    """Parsed manifests of ``paths`` at ``commit`` (display paths relative to ``root``).

    ``entries``: the commit's tree as ``list_tree`` gives it, when the caller has it already.
    """
    if entries is None:
        entries = list_tree(root, commit)
    entries = [e for e in entries if e.type == "blob"]
    by_path = {e.path: e for e in entries}
    wanted = select(entries, list(paths) or ["."], list(excludes))
    # link targets, and links to links, are small: read every link in the tree at once
    blobs = read_blobs(root, [e.sha for e in entries if e.mode == SYMLINK_MODE])
    resolved: list[tuple[str, TreeEntry | None]] = []
    for e, within in wanted:
        resolved.append((e.path, _follow(e, within, by_path, blobs) if e.mode == SYMLINK_MODE else e))
    small = [t.sha for _, t in resolved if t is not None and t.size <= limits.max_file_bytes]
    blobs.update(read_blobs(root, small))
    files = []
    for path, target in resolved:
        src = SourceFile(path)
        if target is None:
            src.skipped = "symbolic link that is broken or leaves the directory it was found in; not followed"
        elif target.size > limits.max_file_bytes:
            src.problems.append(InputProblem(
                "unreadable", f"file is {target.size} bytes, over the {limits.max_file_bytes}-byte limit; not read",
                Location.whole_file(path)))
        elif target.sha not in blobs:
            src.problems.append(InputProblem("unreadable", f"cannot read {path} at the base revision",
                                             Location.whole_file(path)))
        else:
            text, problem = decode(blobs[target.sha], path)
            if problem is not None:
                src.problems.append(problem)
            elif path.lower().endswith(".json"):
                parse_json(src, text, limits)
            else:
                parse_text(src, text, limits)
        files.append(src)
    return files
