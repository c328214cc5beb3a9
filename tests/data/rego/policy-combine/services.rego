# Cross-file rule (conftest --combine): every Deployment needs a Service of the same name.
package main

import rego.v1

deny contains result if {
	some i
	doc := documents[i]
	doc.kind == "Deployment"
	not service_named(doc.metadata.name, doc.metadata.namespace)
	result := {
		"msg": sprintf("Deployment %s has no Service of the same name", [doc.metadata.name]),
		"resource": {"kind": "Deployment", "name": doc.metadata.name, "namespace": doc.metadata.namespace},
		"_loc": ["spec", "template", "metadata", "labels"],
	}
}

# conftest's shape: one entry per file; contents is a list when the file has several documents
documents contains doc if {
	some f in input
	is_array(f.contents)
	some doc in f.contents
}

documents contains f.contents if {
	some f in input
	is_object(f.contents)
}

service_named(name, ns) if {
	some doc in documents
	doc.kind == "Service"
	doc.metadata.name == name
	doc.metadata.namespace == ns
}

warn contains {"msg": sprintf("file %s holds %d documents", [f.path, count(f.contents)]), "filepath": f.path} if {
	some f in input
	is_array(f.contents)
}

warn_total contains sprintf("%d files checked", [count(input)]) if true
