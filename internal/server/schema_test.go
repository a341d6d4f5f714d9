package server_test

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// schemaValidator checks JSON values against the schemas of an OpenAPI 3.1
// document, for the subset of JSON Schema the document uses. A keyword it
// does not know is an error, so that the document cannot say more than the
// tests check.
type schemaValidator struct {
	doc map[string]any
}

// validate returns every way v departs from schema, each with its JSON path.
func (sv schemaValidator) validate(schema map[string]any, v any, at string) []string {
	var errs []string
	fail := func(format string, args ...any) {
		errs = append(errs, at+": "+fmt.Sprintf(format, args...))
	}
	for key, arg := range schema {
		switch key {
		case "description", "format":
			if key == "format" && arg == "date-time" {
				if s, ok := v.(string); ok {
					if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
						fail("%q is not a date-time", s)
					}
				}
			}
		case "$ref":
			ref, err := sv.resolve(arg.(string))
			if err != nil {
				fail("%v", err)
				continue
			}
			errs = append(errs, sv.validate(ref, v, at)...)
		case "type":
			types := []string{}
			switch a := arg.(type) {
			case string:
				types = append(types, a)
			case []any:
				for _, t := range a {
					types = append(types, t.(string))
				}
			}
			if !slices.ContainsFunc(types, func(t string) bool { return isType(v, t) }) {
				fail("%s is not of type %s", short(v), strings.Join(types, " or "))
			}
		case "enum":
			if !slices.ContainsFunc(arg.([]any), func(e any) bool { return fmt.Sprint(e) == fmt.Sprint(v) && isType(v, typeOf(e)) }) {
				fail("%s is not one of %v", short(v), arg)
			}
		case "minimum":
			if n, ok := v.(float64); ok && n < arg.(float64) {
				fail("%v is below %v", n, arg)
			}
		case "maximum":
			if n, ok := v.(float64); ok && n > arg.(float64) {
				fail("%v is above %v", n, arg)
			}
		case "required":
			if obj, ok := v.(map[string]any); ok {
				for _, name := range arg.([]any) {
					if _, ok := obj[name.(string)]; !ok {
						fail("required %q is missing", name)
					}
				}
			}
		case "properties":
			if obj, ok := v.(map[string]any); ok {
				for name, sub := range arg.(map[string]any) {
					if x, ok := obj[name]; ok {
						errs = append(errs, sv.validate(sub.(map[string]any), x, at+"."+name)...)
					}
				}
			}
		case "additionalProperties":
			obj, ok := v.(map[string]any)
			if !ok {
				continue
			}
			props, _ := schema["properties"].(map[string]any)
			for name, x := range obj {
				if _, ok := props[name]; ok {
					continue
				}
				switch a := arg.(type) {
				case bool:
					if !a {
						fail("%q is not a documented property", name)
					}
				case map[string]any:
					errs = append(errs, sv.validate(a, x, at+"."+name)...)
				}
			}
		case "items":
			if arr, ok := v.([]any); ok {
				for i, x := range arr {
					errs = append(errs, sv.validate(arg.(map[string]any), x, fmt.Sprintf("%s[%d]", at, i))...)
				}
			}
		case "allOf":
			for _, sub := range arg.([]any) {
				errs = append(errs, sv.validate(sub.(map[string]any), v, at)...)
			}
		case "oneOf":
			matched := 0
			var why []string
			for _, sub := range arg.([]any) {
				e := sv.validate(sub.(map[string]any), v, at)
				if len(e) == 0 {
					matched++
				}
				why = append(why, e...)
			}
			if matched != 1 {
				fail("%s matches %d of oneOf, want 1: %v", short(v), matched, why)
			}
		default:
			fail("the validator does not know the keyword %q", key)
		}
	}
	return errs
}

// resolve finds a local reference such as #/components/schemas/Event.
func (sv schemaValidator) resolve(ref string) (map[string]any, error) {
	path, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil, fmt.Errorf("reference %q is not local", ref)
	}
	var node any = sv.doc
	for _, part := range strings.Split(path, "/") {
		m, ok := node.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("reference %q does not resolve", ref)
		}
		node = m[part]
	}
	schema, ok := node.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("reference %q does not resolve", ref)
	}
	return schema, nil
}

// response is the schema of one documented answer.
func (sv schemaValidator) response(pattern, method string, status int) (map[string]any, error) {
	paths, _ := sv.doc["paths"].(map[string]any)
	op, _ := paths[pattern].(map[string]any)[strings.ToLower(method)].(map[string]any)
	if op == nil {
		return nil, fmt.Errorf("%s %s is not documented", method, pattern)
	}
	resp, _ := op["responses"].(map[string]any)[fmt.Sprint(status)].(map[string]any)
	if resp == nil {
		return nil, fmt.Errorf("%s %s does not document status %d", method, pattern, status)
	}
	if ref, ok := resp["$ref"].(string); ok {
		var err error
		if resp, err = sv.resolve(ref); err != nil {
			return nil, err
		}
	}
	schema, _ := resp["content"].(map[string]any)["application/json"].(map[string]any)["schema"].(map[string]any)
	if schema == nil {
		return nil, fmt.Errorf("%s %s %d has no application/json schema", method, pattern, status)
	}
	return schema, nil
}

func isType(v any, t string) bool {
	switch t {
	case "null":
		return v == nil
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "string":
		_, ok := v.(string)
		return ok
	case "number":
		_, ok := v.(float64)
		return ok
	case "integer":
		n, ok := v.(float64)
		return ok && n == math.Trunc(n)
	case "array":
		_, ok := v.([]any)
		return ok
	case "object":
		_, ok := v.(map[string]any)
		return ok
	}
	return false
}

func typeOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case float64:
		return "number"
	case []any:
		return "array"
	}
	return "object"
}

// short is v in JSON, cut to a readable length.
func short(v any) string {
	b, _ := json.Marshal(v)
	if len(b) > 80 {
		return string(b[:77]) + "…"
	}
	return string(b)
}
