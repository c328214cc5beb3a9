"""NPL004 duplicate-resource: the same object defined twice."""
from __future__ import annotations

from netpol_lint.engine.findings import Related
from netpol_lint.engine.rulebase import Rule


class DuplicateResource(Rule):
    id = "NPL004"
    name = "duplicate-resource"
    severity = "warning"
    summary = "Checks for the same group/kind/namespace/name defined more than once in the input."
    rationale = ("Only the last one applied survives, so labels or policy rules in the other copy are not what "
                 "runs; analysis over the input would otherwise mix both.")
    bad_example = """\
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}   # defined again
"""
    good_example = "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\n"
    fix_text = "Keep one definition (or give the copies distinct names or namespaces)."
    tags = ("input",)

    def check(self, ctx):
        for group in ctx.model.duplicates():
            # file order, then document and List item order: the order of their lines,
            # without reading any position (positions cost a re-parse; see docs/performance.md)
            ordered = sorted(group, key=lambda r: (r.file, r.doc.index, r.base))
            first = ordered[0]
            where = first.locate("metadata", "name")
            # one related location and hint for the group's findings (read-only, like all
            # findings' parts): large inputs have tens of thousands of duplicates
            related = [Related(where, f"first definition of {first.ref}")]
            hint = ("duplicate", first.file)      # stable across line moves (baselines)
            for dup in ordered[1:]:
                yield self.finding(dup, dup.locate("metadata", "name"),
                                   f"{dup.ref} is also defined at {where.file}:{where.line}",
                                   related=related, node_hint=hint)


RULE = DuplicateResource
