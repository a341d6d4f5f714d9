package server

import _ "embed"

// openAPI describes /api/v1; TestOpenAPI keeps it equal to the routes and types.
//
//go:embed openapi.json
var openAPI []byte
