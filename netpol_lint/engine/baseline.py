"""Baselines: adopt the linter on a legacy repository today and fail only on *new* findings.

``--write-baseline FILE`` records every current finding by a fingerprint that survives
unrelated edits: rule + resource identity (kind, namespace, name) + the rule's hint about the
node (``Finding.fingerprint``), never a line number.  Findings without a resource (a syntax
error) add their file, since nothing else identifies them.  ``--baseline FILE`` then moves the
findings the file accounts for into the suppressed count.  Matching is by count: if the
baseline holds a fingerprint twice and the input now yields it three times, one is new.

The file is JSON, sorted and stable, so it diffs well in code review::

    {"version": 1, "tool": "netpol-lint",
     "findings": [{"fingerprint": "…", "rule": "NPL101", "resource": "Deployment shop/web",
                   "file": "apps/shop/web.yaml", "message": "…"}]}

Only ``fingerprint`` is read back; the other fields are for the humans reviewing the file.
"""
from __future__ import annotations

import json
import os
import sys
from collections import Counter
from typing import TYPE_CHECKING, Iterable

from .findings import Finding, describe_resource
from ..fsutil import write_atomic
from ..errors import InputError
from ..wording import count

if TYPE_CHECKING:  # pragma: no cover
    from .linter import LintResult

FORMAT_VERSION = 1


def key(f: Finding) -> str:
    """The fingerprint a baseline stores for ``f``: for a finding without a resource, with its
    file as every format prints it (relative to the current directory, ``../`` outside it)."""
    fp = f.fingerprint()
    return fp if f.resource else f"{fp}@{f.location.file}"


def legacy_key(f: Finding) -> str | None:
    """The key baselines written before paths outside the current directory were printed
    relative (``../x.yaml``) stored for ``f``: its absolute path.  Read back so that those
    baseline files keep matching; None when it is the same as ``key(f)``."""
    file = f.location.file
    if f.resource or not (file == ".." or file.startswith("../")):
        return None
    return f"{f.fingerprint()}@{os.path.abspath(file).replace(os.sep, '/')}"


def _describe(f: Finding) -> str:
    r = f.resource or {}
    if not r:
        return ""
    return describe_resource(r)


def dumps(findings: Iterable[Finding]) -> str:
    entries = [{"fingerprint": key(f), "rule": f.rule, "resource": _describe(f), "file": f.location.file,
                "message": f.message.splitlines()[0] if f.message else ""} for f in findings]
    entries.sort(key=lambda e: (e["file"], e["rule"], e["resource"], e["fingerprint"]))
    return json.dumps({"version": FORMAT_VERSION, "tool": "netpol-lint", "findings": entries},
                      indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def recorded(findings: Iterable[Finding]) -> list[Finding]:
    """The findings a baseline records: each reported one and those it explains (RULES.md
    "One cause, one finding": a baselined explaining finding releases what it carried, so
    without them the next ``--baseline`` run would report the explained ones as new)."""
    out: list[Finding] = []
    stack = list(findings)[::-1]
    while stack:
        f = stack.pop()
        out.append(f)
        stack.extend(reversed(f.explains))
    return out


def write(path: str, findings: Iterable[Finding]) -> int:
    findings = recorded(findings)
    try:
        write_atomic(path, dumps(findings).encode("utf-8"))
    except OSError as exc:
        raise InputError(f"cannot write baseline {path}: {exc.strerror or exc}") from None
    return len(findings)


def load(path: str) -> Counter[str]:
    """Fingerprint counts of a baseline file (``InputError``, exit 2, when unreadable)."""
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except FileNotFoundError:
        raise InputError(f"baseline file not found: {path} (create it with --write-baseline)") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot read baseline {path}: {exc}") from None
    if (not isinstance(data, dict) or data.get("version") != FORMAT_VERSION
            or not isinstance(data.get("findings"), list)):
        raise InputError(f"{path} is not a netpol-lint baseline (version {FORMAT_VERSION})")
    counts: Counter[str] = Counter()
    for entry in data["findings"]:
        if isinstance(entry, dict) and isinstance(entry.get("fingerprint"), str):
            counts[entry["fingerprint"]] += 1
    return counts


def write_command(path: str, result: LintResult) -> int:
    """``--write-baseline``: record, say so on stderr, exit 0 (2 if a rule crashed)."""
    n = write(path, result.findings)
    print(f"netpol-lint: wrote {count(n, 'finding')} to baseline {path}", file=sys.stderr)
    return 2 if result.rule_errors else 0
