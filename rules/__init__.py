"""The built-in rule pack, registered through the ``netpol_lint`` entry point like any plugin.

One module per Python rule (``npl<id>_<name>.py``) and one YAML file per declarative rule;
this module only lists them (an explicit registry, like yamllint's: no discovery magic).
"""
from __future__ import annotations

import importlib
from importlib import resources

from netpol_lint import hookimpl
from netpol_lint.declarative import load_rule_file

PYTHON_RULES = (
    "npl001_yaml_syntax_error",
    "npl002_unrendered_template",
    "npl004_duplicate_resource",
    "npl102_label_not_on_pod_template",
    "npl401_invalid_istio_cr",
)


def _python_rules():
    for name in PYTHON_RULES:
        module = importlib.import_module(f"{__name__}.{name}")
        yield module.RULE


def _declarative_rules():
    pack = resources.files(__name__)
    for entry in sorted(pack.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            with resources.as_file(entry) as path:
                yield load_rule_file(str(path), source="builtin")


@hookimpl
def netpol_lint_rules():
    return [*_python_rules(), *_declarative_rules()]
