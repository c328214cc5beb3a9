# An old catch-all policy in package main: not evaluated when --namespace selects others.
package main

import rego.v1

deny contains "main package evaluated" if true
