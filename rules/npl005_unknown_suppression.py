"""NPL005 unknown-suppression: a suppression that names no rule suppresses nothing."""
from __future__ import annotations

import difflib

from netpol_lint.engine.rulebase import Rule
from netpol_lint.engine.suppress import IGNORE_ANNOTATION, directive_refs, ignore_annotations, known_ref
from netpol_lint.load.documents import Location


class UnknownSuppression(Rule):
    id = "NPL005"
    name = "unknown-suppression"
    severity = "warning"
    summary = ("Checks for suppressions (the `netpol-lint.io/ignore` annotation, `# netpol-lint: disable=...` "
               "comments) that name a rule id or name that does not exist.")
    rationale = ("A typo such as `NPL10l` or `missing-from-ingress-label` suppresses nothing: the finding the "
                 "author meant to silence keeps failing the run, or -- worse -- the author believes a rule is "
                 "acknowledged that never was. Rules are those of this run: built-in rules and the plugins and "
                 "rule directories loaded.")
    bad_example = """\
apiVersion: v1
kind: Service
metadata:
  name: web
  annotations:
    netpol-lint.io/ignore: "NPL10l"   # not a rule: suppresses nothing
spec:
  selector: {app: web}
  ports:
  - port: 80
"""
    good_example = """\
apiVersion: v1
kind: Service
metadata:
  name: web
  annotations:
    netpol-lint.io/ignore: "NPL101"
spec:
  selector: {app: web}
  ports:
  - port: 80
"""
    fix_text = ("Name an existing rule by id (`NPL101`) or name (`missing-from-ingressgateway-label`), or `all`; "
                "`netpol-lint rules` lists them. Separate several with commas.")
    tags = ("input",)

    def check(self, ctx):
        registry = ctx.registry
        resolve = registry.resolve
        choices = sorted(set(registry.rules) | {r.name for r in registry.rules.values()})
        for src in ctx.session.files:
            if not src.may_have_directives:
                continue
            for line, column, ref in directive_refs(src.text or ""):
                if not known_ref(ref, resolve):
                    where = Location(src.path, line, column, line, column + len(ref))
                    yield self.finding(None, where, self._message(ref, "comment", registry, choices))
        for r in ctx.model.resources:
            for path, value in ignore_annotations(r):
                unknown = [ref.strip() for ref in value.split(",") if ref.strip() and not known_ref(ref, resolve)]
                for ref in unknown:
                    yield self.finding(r, r.locate(*path), self._message(ref, f"annotation {IGNORE_ANNOTATION}",
                                                                          registry, choices))

    @staticmethod
    def _message(ref: str, where: str, registry, choices: list[str]) -> str:
        head = f"suppression {where} names '{ref}'"
        prefixed = registry.select(ref)
        if prefixed:                    # NPL2: --select takes prefixes, suppressions do not
            ids = ",".join(r.id for r in prefixed[:3]) + (",..." if len(prefixed) > 3 else "")
            return (f"{head}, a rule prefix: suppressions take rule ids or names (or all), so it suppresses "
                    f"nothing; list the rules ({ids})")
        guess = _id_lookalike(ref, registry)
        if guess is None:
            word = ref.upper() if any(c.isdigit() for c in ref) else ref.lower()
            close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
            guess = close[0] if close else None
        hint = f"; did you mean '{guess}'?" if guess else "; 'netpol-lint rules' lists the rules"
        return f"{head}, which is no rule: it suppresses nothing{hint}"


def _id_lookalike(ref: str, registry) -> str | None:
    """``NPL10l`` / ``NPLl0O``: a rule id with letters typed for the digits that look alike."""
    letters = len(ref) - len(ref.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"))
    for cut in range(min(letters, 8), 0, -1):
        tail = ref[cut:].upper().translate(str.maketrans("LIO", "110"))
        rule = registry.rules.get(ref[:cut].upper() + tail)
        if rule is not None:
            return rule.id
    return None


RULE = UnknownSuppression
