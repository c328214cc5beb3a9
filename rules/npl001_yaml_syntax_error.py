"""NPL001 yaml-syntax-error: a file that cannot be parsed."""
from __future__ import annotations

from ._input_problems import InputProblemRule


class YamlSyntaxError(InputProblemRule):
    problem_kinds = frozenset({"unreadable", "encoding", "syntax"})
    id = "NPL001"
    name = "yaml-syntax-error"
    severity = "error"
    summary = ("Checks for files that cannot be parsed: bad YAML or JSON syntax, bad encoding, tabs used for "
               "indentation, duplicate mapping keys.")
    rationale = ("kubectl rejects the file (or, for duplicate keys, silently keeps one value), so whatever it "
                 "was meant to deploy never reaches the cluster as written. The rest of the input is still "
                 "linted; the position is the parser's.")
    bad_example = """\
apiVersion: v1
kind: Service
metadata:
  name: shop
  name: shop-v2   # duplicate key: one of the two values is dropped
spec:
  selector: {app: shop}
  ports:
  - port: 80
"""
    good_example = """\
apiVersion: v1
kind: Service
metadata:
  name: shop-v2
spec:
  selector: {app: shop}
  ports:
  - port: 80
"""
    fix_text = "Correct the syntax at the reported line and column (indent with spaces, one value per key, UTF-8)."
    tags = ("input",)


RULE = YamlSyntaxError
