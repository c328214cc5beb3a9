"""netpol-lint: lint Kubernetes manifests for the Kyma Istio module's network policies.

The package's front: ``__version__``, ``hookimpl`` for plugins (``engine/hookspecs.py`` is the
documented extension surface) and the library API, ``lint`` and ``reach``
(``netpol_lint.api``; imported on first use, so ``import netpol_lint`` stays cheap).
"""
from __future__ import annotations

from typing import Any

from .engine.hookspecs import hookimpl

__all__ = ["__version__", "hookimpl", "lint", "reach"]

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name in ("lint", "reach"):
        from . import api
        return getattr(api, name)
    raise AttributeError(f"module 'netpol_lint' has no attribute {name!r}")
