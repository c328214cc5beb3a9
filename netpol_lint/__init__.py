"""netpol-lint: lint Kubernetes manifests for the Kyma Istio module's network policies."""
from __future__ import annotations

import pluggy

__all__ = ["__version__", "hookimpl"]

__version__ = "0.1.0"

#: Decorator for plugin hook implementations (see ``netpol_lint.engine.hookspecs``).
hookimpl = pluggy.HookimplMarker("netpol_lint")
