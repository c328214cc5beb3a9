"""The built-in rule pack, registered through the ``netpol_lint`` entry point like any plugin.

One module per Python rule (``npl<id>_<name>.py``) and one YAML file per declarative rule;
this module only lists them (an explicit registry, like yamllint's: no discovery magic).
"""
from __future__ import annotations

import importlib
from importlib import resources

from netpol_lint.engine.hookspecs import hookimpl
from netpol_lint.engine.declarative import load_rule_file

PYTHON_RULES = (
    "npl001_yaml_syntax_error",
    "npl002_unrendered_template",
    "npl004_duplicate_resource",
    "npl005_unknown_suppression",
    "npl102_label_not_on_pod_template",
    "npl401_invalid_istio_cr",
    "npl301_managed_resource_in_manifests",
    "npl302_managed_policy_modified",
    "npl303_deny_default_breaks_istio",
    "npl402_network_policies_disabled",
    "npl101_missing_from_ingressgateway_label",
    "npl105_missing_to_egressgateway_label",
    "npl106_missing_metrics_label",
    "npl107_unneeded_from_ingressgateway_label",
    "npl108_egress_gateway_disabled",
    "npl109_unresolvable_route_host",
    "npl110_apirule_version_not_served",
    "npl201_ingressgateway_blocked",
    "npl202_split_peer_selectors",
    "npl203_allowance_uses_service_port",
    "npl204_namespace_label_not_set",
    "npl205_egress_blocks_dns",
    "npl206_egress_blocks_istiod",
    "npl207_egress_blocks_egressgateway",
    "npl208_webhook_blocked",
    "npl501_policy_selects_nothing",
    "npl502_named_port_not_found",
    "npl601_expectation_violated",
    "npl602_expectation_matches_nothing",
    "rego001_rego_deny",
    "rego002_rego_warn",
    "npl003_invalid_resource",
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
