# Ownership rules of the platform team, in their own package.
package platform.ownership

import rego.v1

owned_kinds := {"Deployment", "StatefulSet", "Service"}

deny_missing_owner contains {"msg": msg, "_loc": "metadata"} if {
	owned_kinds[input.kind]
	not input.metadata.annotations.owner
	msg := sprintf("%s %s has no owner annotation", [input.kind, input.metadata.name])
}

warn_owner_format contains {"msg": "owner annotation should name a team (team-...)", "_loc": "metadata.annotations.owner"} if {
	owner := input.metadata.annotations.owner
	not startswith(owner, "team-")
}
