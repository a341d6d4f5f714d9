package kycgate

import _ "embed"

// ExampleConfig is kycgate.example.yaml: a configuration with a source of
// every provider and demo secrets, for trying kycgate on one machine.
// "kycgate config example" prints it.
//
//go:embed kycgate.example.yaml
var ExampleConfig []byte
