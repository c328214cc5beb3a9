"""What the Kyma Istio module would do with the input: are its network policies on?

RULES.md "Policies enabled": the user's switch wins; else the Istio CR as Kyma treats it (a
CR outside kyma-system is ignored by the module, a string flag is rejected by the API server,
an unknown field is pruned); else *enabled*, because the tool exists to prepare for it.
"""
from __future__ import annotations

from dataclasses import dataclass

from .index import Model
from .resources import IstioCR, get


@dataclass(frozen=True)
class KymaSettings:
    policies_enabled: bool
    source: str                     # "option", "config", "istio-cr", "assumed"
    istio_cr: IstioCR | None        # the CR the module would reconcile, if any
    egress_gateway_enabled: bool    # per the CR (False without one)
    api_server_port: int = 443

    @property
    def assumed(self) -> bool:
        return self.source == "assumed"


def reconcilable_istio_crs(model: Model) -> list[IstioCR]:
    """Every Istio CR definition the module could reconcile (in kyma-system, with a boolean or
    absent flag), ``default`` first, then in file order.  Each may be the one deployed (an
    overlay, a test fixture), so the routes of every one are checked (RULES.md: a route source
    defined more than once)."""
    candidates = [cr for cr in model.istio_crs if cr.namespace == "kyma-system" and cr_is_valid(cr)]
    candidates.sort(key=lambda cr: (cr.name != "default", cr.file, cr.doc.index))
    return candidates


def effective_istio_cr(model: Model) -> IstioCR | None:
    """The Istio CR the module reconciles: in kyma-system, with a boolean (or absent) flag."""
    candidates = reconcilable_istio_crs(model)
    return candidates[0] if candidates else None


def cr_is_valid(cr: IstioCR) -> bool:
    """False when the API server would reject the CR's networkPoliciesEnabled value."""
    value = cr.spec.get("networkPoliciesEnabled", False)
    return isinstance(value, bool)


def settings(model: Model, option: str | None = None, config_value: str | None = None,
             api_server_port: int = 443) -> KymaSettings:
    cr = effective_istio_cr(model)
    egress = bool(cr is not None and get(cr.spec, "components", "egressGateway", "enabled") is True)
    if option in ("enabled", "disabled"):
        return KymaSettings(option == "enabled", "option", cr, egress, api_server_port)
    if config_value in ("enabled", "disabled"):
        return KymaSettings(config_value == "enabled", "config", cr, egress, api_server_port)
    if cr is not None:
        return KymaSettings(cr.spec.get("networkPoliciesEnabled") is True, "istio-cr", cr, egress, api_server_port)
    return KymaSettings(True, "assumed", None, egress, api_server_port)
