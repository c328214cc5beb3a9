"""JUnit XML: one testcase per resource checked, one ``<failure>`` per finding.

For CI systems that render test reports (GitLab ``artifacts:reports:junit``, Jenkins, Azure
Pipelines): each Kubernetes object is a test that passes when no rule found anything on it.
Findings that belong to no object (a file that does not parse) get a testcase for their file.

The output follows the Jenkins/Surefire ``junit-10.xsd`` shape (tests/schemas/ validates it):
``testsuites > testsuite > testcase > failure``; attributes are limited to the ones that
schema knows.  No timings or timestamps are written, so the same input gives byte-identical
output (CONTRACT.md).
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from .. import __version__
from ..engine.findings import describe_resource
from . import ReportInput

# Characters XML 1.0 cannot carry at all (control characters except TAB, LF, CR).
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(text: str) -> str:
    return _INVALID_XML.sub("\ufffd", str(text))


def _ident(resource: dict | None) -> tuple:
    r = resource or {}
    return (r.get("kind"), r.get("namespace"), r.get("name"))


def _failure_text(f) -> str:
    loc = f.location
    lines = [f"{loc.file}:{loc.line}:{loc.column}: {f.rule} [{f.severity}] {f.message}"]
    lines += [f"  related: {r.location.file}:{r.location.line}:{r.location.column}: {r.message}" for r in f.related]
    lines.append(f"rule: {f.rule} {f.name}")
    return "\n".join(lines)


def testcases(inp: ReportInput) -> list[tuple[str, str, list]]:
    """``(classname, name, findings)`` per resource (model order), then per file for the rest."""
    from ..load.origins import OriginMap, reported_file

    origins = OriginMap(inp.session.files)
    cases: list[tuple[str, str, list]] = []
    by_key: dict[tuple, list] = {}
    by_ident: dict[tuple, list] = {}
    # resources without metadata.name (generateName) are distinct objects even when they show
    # alike (``web-*``): one testcase each, a finding goes to the one whose document holds it
    unnamed: dict[tuple, list[tuple[int, list]]] = {}
    for r in inp.session.model.resources:
        file = reported_file(r, origins)
        found: list = []
        ident = (r.kind, r.namespace, r.name)
        key = (file,) + ident
        if not r.named:
            start = r.doc.start[1] + 1 if r.doc.start else 0
            unnamed.setdefault(key, []).append((start, found))
        elif key in by_key:        # a duplicate definition in the same file: one testcase is enough
            continue
        by_key.setdefault(key, found)
        by_ident.setdefault(ident, found)
        cases.append((file, describe_resource({"kind": r.kind, "namespace": r.namespace, "name": r.name}), found))
    per_file: dict[str, list] = {}
    for f in inp.result.findings:
        target = None
        if f.resource:
            key = (f.file,) + _ident(f.resource)
            candidates = unnamed.get(key)
            if candidates:
                target = candidates[0][1]
                for start, found in candidates:
                    if start <= f.location.line:
                        target = found
            else:
                target = by_key.get(key)
            if target is None:
                target = by_ident.get(_ident(f.resource))
        if target is None:
            target = per_file.setdefault(f.file, [])
        target.append(f)
    cases += [(file, f"file {file}", found) for file, found in sorted(per_file.items())]
    return cases


def document(inp: ReportInput) -> ET.Element:
    cases = testcases(inp)
    failures = sum(len(found) for _, _, found in cases)
    failed_cases = sum(1 for _, _, found in cases if found)
    root = ET.Element("testsuites", {"name": "netpol-lint", "tests": str(len(cases)),
                                     "failures": str(failed_cases), "errors": "0"})
    suite = ET.SubElement(root, "testsuite", {"name": "netpol-lint", "tests": str(len(cases)),
                                              "failures": str(failed_cases), "errors": "0", "skipped": "0"})
    props = ET.SubElement(suite, "properties")
    summary = inp.summary()
    for name, value in (("netpol-lint.version", __version__), ("findings", str(failures)),
                        ("suppressed", str(summary["suppressed"])),
                        ("network_policies_enabled", str(summary["network_policies_enabled"]).lower())):
        ET.SubElement(props, "property", {"name": name, "value": value})
    for classname, name, found in cases:
        case = ET.SubElement(suite, "testcase", {"classname": _clean(classname), "name": _clean(name)})
        for f in found:
            fail = ET.SubElement(case, "failure", {"type": f.rule, "message": _clean(f"{f.rule} {f.message}")})
            fail.text = _clean(_failure_text(f))
    return root


def render(inp: ReportInput) -> str:
    root = document(inp)
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
