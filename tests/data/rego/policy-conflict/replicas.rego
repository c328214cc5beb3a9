package main

import rego.v1

# Two complete definitions that disagree for Deployments: a runtime conflict in OPA terms.
replicas := 1 if input.kind == "Deployment"

replicas := 2 if input.kind == "Deployment"

deny contains "too few replicas" if replicas < 2
