"""Rego policies with conftest's conventions (``--policy DIR``, the ``rego`` extra).

Users who already write OPA/conftest policies run them in the same pass as the built-in
rules, so their results get positions, suppressions, baselines and every output format.

* ``engine.py``: loads ``*.rego`` files into the ``regopy`` interpreter (rego-cpp) and
  evaluates packages (``main`` or ``--namespace``) per resource, or once over the whole
  input with ``--combine`` (conftest's ``[{"path", "contents"}]`` shape).
* ``results.py``: turns rule values (``deny``/``violation``/``warn`` and their ``_suffix``
  variants) into results with a message and a location hint.
* ``rules.py``: the two rules the results become, ``REGO001 rego-deny`` (error) and
  ``REGO002 rego-warn`` (warning), registered through the ``netpol_lint`` entry point so
  that config, ``--select`` and suppressions can name them like any rule.

``regopy`` is imported only when ``--policy`` is used; without it the tool says which extra
to install (exit 2).
"""
from __future__ import annotations

from .engine import PolicyError, PolicySet, load_policies

__all__ = ["PolicyError", "PolicySet", "load_policies"]
