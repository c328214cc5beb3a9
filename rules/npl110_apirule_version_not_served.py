"""NPL110 apirule-version-not-served: an APIRule version current Kyma releases no longer accept."""
from __future__ import annotations

from netpol_lint.model.resources import api_version_name
from netpol_lint.engine.rulebase import Rule

# Facts from kyma-project/api-gateway (HEAD 64d110d6038f8de27fa912b2e91b9f5f00b3faf0; tags: 1.9.0 =
# 7c9f7795d2bf19e87066b41b28e3e7021719949e, 3.4.0 = a110d70cfd9279dd42e0c5ef462f7abb9097bd1e,
# 3.10.0 = b4d5c24c86eeedd99ab1ff3f47de3298fd63b93b):
# - v1alpha1: deleted by 9362c3d9dcdad23f8336ce9c18f28906f9129d51 ("APIRule v1alpha1 removal (#516)",
#   2023-09-19), first released in API Gateway 1.9.0 (2023-09-20), whose CRD lists only v1beta1.
# - v1beta1: create/update/delete rejected by the module's admission webhook since 3.4.0
#   (d2fe4a982c923615a60a1771098ec26e9ba5b34c, "Disable v1beta1 APIRule for all clusters (#2207)");
#   no longer reconciled since 3.10.0 (ad5dc782748c75fda955b53ea4d0400869828169, #2771).
# The migration target is gateway.kyma-project.io/v2 (docs/user/apirule-migration/).
RETIRED = {
    "v1alpha1": ("was removed in API Gateway 1.9.0 (2023-09): the API server no longer serves it, so the "
                 "resource does not apply"),
    "v1beta1": ("is no longer available since API Gateway 3.4.0 (2025-10: creating, updating or deleting it is "
                "rejected) and is not reconciled since 3.10.0"),
}
V2_EQUIVALENT = {
    "v1alpha1": ("spec.service.host becomes spec.hosts: [<host>], spec.gateway is written namespace/name "
                 "(kyma-system/kyma-gateway), spec.service keeps name and port, and each rule's "
                 "accessStrategies become noAuth: true, jwt or extAuth"),
    "v1beta1": ("spec.host becomes spec.hosts: [<host>], spec.gateway is written namespace/name "
                "(kyma-system/kyma-gateway), and each rule's accessStrategies become noAuth: true, jwt or extAuth"),
}


class ApiruleVersionNotServed(Rule):
    id = "NPL110"
    name = "apirule-version-not-served"
    severity = "warning"
    summary = ("Checks for APIRules of a version that current Kyma releases no longer accept: `v1alpha1` (removed "
               "in API Gateway 1.9.0) and `v1beta1` (writes blocked since API Gateway 3.4.0, not reconciled since "
               "3.10.0). Their routes are still traced.")
    rationale = ("Repositories keep APIRules long after the API Gateway module retired their version. A "
                 "`v1alpha1` APIRule no longer applies at all (the CRD has not served it since API Gateway 1.9.0, "
                 "kyma-project/api-gateway 9362c3d9); a `v1beta1` one is rejected on create, update and delete "
                 "since 3.4.0 (d2fe4a98) and left unreconciled since 3.10.0 (ad5dc782). The route the manifest "
                 "describes is then not the one the cluster runs, or does not exist. The linter still traces "
                 "the route (its labels and policies must be right after the migration), and says which release "
                 "retired the version and what the `v2` APIRule looks like.")
    bad_example = """\
apiVersion: gateway.kyma-project.io/v1alpha1   # no longer served
kind: APIRule
metadata: {name: web, namespace: shop}
spec:
  gateway: kyma-gateway.kyma-system.svc.cluster.local
  service: {name: web, port: 80, host: web.example.com}
  rules:
  - path: /.*
    methods: [GET]
    accessStrategies: [{handler: noop}]
"""
    good_example = ("apiVersion: gateway.kyma-project.io/v2\nkind: APIRule\nmetadata: {name: web, namespace: shop}\n"
                    "spec:\n  gateway: kyma-system/kyma-gateway\n  hosts: [web.example.com]\n"
                    "  service: {name: web, port: 80}\n  rules:\n  - {path: /*, methods: [GET], noAuth: true}\n")
    fix_text = ("Migrate the APIRule to `gateway.kyma-project.io/v2` (the API Gateway module's "
                "docs/user/apirule-migration/): `spec.hosts` instead of the host, `spec.gateway` as "
                "`namespace/name`, and `noAuth`/`jwt`/`extAuth` instead of access strategies.")
    tags = ("routes", "apirule")

    def check(self, ctx):
        for ar in ctx.model.apirules:
            version = api_version_name(ar.api_version)
            why = RETIRED.get(version)
            if why is None:
                continue
            yield self.finding(
                ar, ar.locate("apiVersion"),
                f"APIRule {ar.ns_name}: {ar.api_version} {why}; migrate to gateway.kyma-project.io/v2 "
                f"({V2_EQUIVALENT[version]})",
                node_hint=ar.api_version,
            )


RULE = ApiruleVersionNotServed
