"""Keep the commands shown in README.md and docs/ true: run them and compare what they print.

A fenced ``console`` block is a transcript: a line ``$ COMMAND`` is run with ``sh`` from the
repository root (``netpol-lint`` is the one installed next to this Python), and the lines
after it, up to the next ``$`` line, are exactly what it prints (stdout; add ``2>&1`` to
show stderr).  A line holding only ``…`` stands for any number of lines left out.

Only ``netpol-lint`` commands (optionally after ``cd DIR &&``, DIR inside the repository), and
``echo $?`` after one, are run, in a scratch copy of the
repository's files, so a transcript that writes a file changes nothing here.  A block with
any other command (``git commit``, ``pre-commit``, ``helm``: a user's repository, not this
one) is an illustration and is not run.

    python scripts/doc_outputs.py            # check: list the blocks that differ, exit 1 if any
    python scripts/doc_outputs.py --write docs/output.md   # rewrite that file's transcripts (not … ones)

tests/test_doc_commands.py runs the check.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ELLIPSIS = "…"
_FENCE = re.compile(r"^(`{3,}|~{3,})(\S*)\s*$")


def documents() -> list[Path]:
    """README.md and the hand-written docs (docs/rules.md is generated from the rules)."""
    return [ROOT / "README.md"] + sorted(p for p in (ROOT / "docs").glob("*.md") if p.name != "rules.md")


@dataclass
class Command:
    doc: Path
    line: int                  # 1-based line of the ``$`` line
    command: str
    expected: list[str]        # lines shown after it


def console_commands(doc: Path) -> list[Command]:
    out: list[Command] = []
    lines = doc.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, lang = m.group(1), m.group(2)
        j = i + 1
        while j < len(lines) and lines[j].strip() != fence:
            j += 1
        if lang == "console":
            block: list[Command] = []
            current = None
            for k in range(i + 1, j):
                text = lines[k]
                if text.startswith("$ "):
                    current = Command(doc, k + 1, text[2:], [])
                    block.append(current)
                elif current is not None:
                    current.expected.append(text)
            for c in block:
                while c.expected and not c.expected[-1].strip():
                    c.expected.pop()
            if all(runnable(c.command) for c in block):
                out.extend(block)
        i = j + 1
    return out


def runnable(command: str) -> bool:
    """``netpol-lint ...``, ``cd DIR && netpol-lint ...`` (DIR inside the repository), ``echo $?``."""
    m = re.match(r"cd ([\w./-]+) && (.*)$", command)
    if m:
        if m.group(1).startswith(("/", "..")) or "/../" in m.group(1):
            return False
        command = m.group(2)
    return command.startswith("netpol-lint ") or command == "netpol-lint" or command.strip() == "echo $?"


def scratch_copy() -> Path:
    """A temporary copy of the repository's files (tracked and new, not ignored ones)."""
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, capture_output=True,
                           check=True).stdout.decode().split("\0")
    dest = Path(tempfile.mkdtemp(prefix="netpol-lint-docs-"))
    for name in filter(None, files):
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    return dest


def sh_commands(doc: Path) -> list[tuple[int, str]]:
    """``netpol-lint ...`` lines of ``sh`` blocks: (line, command without a trailing comment)."""
    out = []
    lines = doc.read_text(encoding="utf-8").splitlines()
    in_sh, fence = False, ""
    for n, text in enumerate(lines, 1):
        m = _FENCE.match(text)
        if not in_sh and m and m.group(2) in ("sh", "bash", "shell"):
            in_sh, fence = True, m.group(1)
            continue
        if in_sh and text.strip() == fence:
            in_sh = False
            continue
        if in_sh:
            for part in re.split(r"\|\s*|&&\s*", text):
                part = part.strip()
                if part.startswith("netpol-lint"):
                    out.append((n, re.sub(r"\s+#.*$", "", part)))
    return out


def environment() -> dict:
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env.update(NO_COLOR="1", COLUMNS="100", LC_ALL="C.UTF-8")
    env.pop("GITHUB_ACTIONS", None)
    return env


def run(command: str, cwd: Path) -> str:
    proc = subprocess.run(["sh", "-c", command], cwd=cwd, env=environment(), capture_output=True,
                          text=True, timeout=600, stdin=subprocess.DEVNULL)
    return proc.stdout


def output_of(command: str, previous: str, cwd: Path) -> list[str]:
    """The lines ``command`` prints; ``echo $?`` reports the exit code of the command before it."""
    if command.strip() == "echo $?":
        command = f"{previous} >/dev/null 2>&1; echo $?"
    return run(command, cwd).rstrip("\n").splitlines()


def matches(expected: list[str], actual: list[str]) -> bool:
    """``expected`` equals ``actual``, each ``…`` line standing for any run of lines."""
    if ELLIPSIS not in expected:
        return expected == actual
    pattern = "".join(".*?" if line == ELLIPSIS else re.escape(line + "\n") for line in expected)
    return re.fullmatch(pattern, "".join(line + "\n" for line in actual), re.S) is not None


def check(write: bool = False, only: list[str] | None = None) -> list[str]:
    """Problems, one line each (empty: every transcript is true)."""
    problems = []
    cwd = scratch_copy()
    chosen = {(ROOT / p).resolve() for p in only} if only else None
    for doc in documents():
        if chosen is not None and doc.resolve() not in chosen:
            continue
        commands = console_commands(doc)
        text = doc.read_text(encoding="utf-8")
        prev = ""
        for c in commands:
            actual = output_of(c.command, prev, cwd)
            prev = c.command
            if matches(c.expected, actual):
                continue
            rel = doc.relative_to(ROOT)
            if write and ELLIPSIS not in c.expected:
                old = "".join(f"{line}\n" for line in [f"$ {c.command}", *c.expected])
                new = "".join(f"{line}\n" for line in [f"$ {c.command}", *actual])
                text = text.replace(old, new, 1)
                continue
            problems.append(f"{rel}:{c.line}: `{c.command}` prints something else")
        if write:
            doc.write_text(text, encoding="utf-8")
    shutil.rmtree(cwd, ignore_errors=True)
    return problems


if __name__ == "__main__":
    argv = sys.argv[1:]
    if "--write" in argv and all(a.startswith("--") for a in argv):
        sys.exit("--write needs the documents to rewrite (their transcripts are replaced by real output)")
    found = check(write="--write" in argv, only=[a for a in argv if not a.startswith("--")] or None)
    for p in found:
        print(p)
    sys.exit(1 if found else 0)
