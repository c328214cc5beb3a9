package main

import rego.v1

deny contains msg if {
	input.kind == "Deployment"
	labels := input.spec.template.metadata.labels
	msg := sprintf("labels: %v", [labels]
}
