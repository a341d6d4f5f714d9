package config

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/kycgate/kycgate/internal/provider/registry"
	"github.com/kycgate/kycgate/internal/redact"
)

// readSecretFile reads a secret kept in a file (a Docker or Kubernetes
// secret, say): its content without the trailing newline.
func readSecretFile(key, path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("%s: %w", key, err)
	}
	v := strings.TrimRight(string(b), "\r\n")
	if v == "" {
		return "", fmt.Errorf("%s: %s is empty", key, path)
	}
	return v, nil
}

// fromFile sets *dst from the file at path, when path is set; setting both
// is an error.
func fromFile(key string, dst *string, path string) error {
	if path == "" {
		return nil
	}
	if *dst != "" {
		return fmt.Errorf("%s: set %s or %s_file, not both", key, key[strings.LastIndex(key, ".")+1:], key[strings.LastIndex(key, ".")+1:])
	}
	v, err := readSecretFile(key+"_file", path)
	*dst = v
	return err
}

// fromFiles appends the secrets of the files at paths to *dst.
func fromFiles(key string, dst *[]string, paths []string) error {
	for i, p := range paths {
		v, err := readSecretFile(fmt.Sprintf("%s_file[%d]", key, i), p)
		if err != nil {
			return err
		}
		*dst = append(*dst, v)
	}
	return nil
}

// readSecretFiles fills every secret given by a *_file key.
func (c *Config) readSecretFiles() error {
	if err := fromFiles("api_tokens", &c.APITokens, c.APITokensFile); err != nil {
		return err
	}
	for i := range c.Sources {
		s := &c.Sources[i]
		key := fmt.Sprintf("sources[%d]", i)
		if err := fromFiles(key+".secrets", &s.Secrets, s.SecretsFile); err != nil {
			return err
		}
		if api := s.API; api != nil {
			for _, k := range slices.Sorted(maps.Keys(api.Keys)) {
				name, ok := strings.CutSuffix(k, "_file")
				if !ok {
					continue
				}
				v := api.Keys[name]
				if err := fromFile(key+".api."+name, &v, api.Keys[k]); err != nil {
					return err
				}
				api.Keys[name] = v
				delete(api.Keys, k)
			}
		}
		a := s.Auth
		if a == nil {
			continue
		}
		if err := fromFile(key+".auth.bearer", &a.Bearer, a.BearerFile); err != nil {
			return err
		}
		if err := fromFile(key+".auth.url_token", &a.URLToken, a.URLTokenFile); err != nil {
			return err
		}
		if a.Basic != nil {
			if err := fromFile(key+".auth.basic.password", &a.Basic.Password, a.Basic.PasswordFile); err != nil {
				return err
			}
		}
		if a.Header != nil {
			if err := fromFile(key+".auth.header.value", &a.Header.Value, a.Header.ValueFile); err != nil {
				return err
			}
		}
	}
	for i := range c.Destinations {
		d := &c.Destinations[i]
		key := fmt.Sprintf("destinations[%d]", i)
		if err := fromFile(key+".secret", &d.Secret, d.SecretFile); err != nil {
			return err
		}
		if err := fromFiles(key+".secrets", &d.Secrets, d.SecretsFile); err != nil {
			return err
		}
	}
	return nil
}

const masked = redact.Mask

// SecretValues returns every secret of the configuration, those inside
// URLs included, for a redact.Redactor that keeps them out of logs and
// messages.
func (c *Config) SecretValues() []string {
	out := slices.Clone(c.APITokens)
	out = append(out, redact.URLSecrets(c.Storage)...)
	for _, s := range c.Sources {
		out = append(out, s.Secrets...)
		if a := s.Auth; a != nil {
			out = append(out, a.Bearer, a.URLToken)
			if a.Basic != nil {
				out = append(out, a.Basic.Password)
			}
			if a.Header != nil {
				out = append(out, a.Header.Value)
			}
		}
		if a := s.API; a != nil {
			for k, v := range a.Keys {
				if apiKeySecret(s.Provider, k) {
					out = append(out, v)
				}
			}
			out = append(out, redact.URLSecrets(a.BaseURL)...)
		}
	}
	for _, d := range c.Destinations {
		out = append(out, d.Secret)
		out = append(out, d.Secrets...)
		out = append(out, redact.URLSecrets(d.URL)...)
		if d.NATS != nil {
			out = append(out, redact.URLSecrets(d.NATS.URL)...)
		}
	}
	return slices.DeleteFunc(out, func(s string) bool { return s == "" })
}

// Masked returns the configuration as YAML with every secret replaced by
// <redacted>, for showing it: kycgate config check.
func (c *Config) Masked() ([]byte, error) {
	m := *c
	m.APITokens, m.APITokensFile = mask(c.APITokens), nil
	m.Storage = redact.URL(c.Storage)
	m.Sources = make([]Source, len(c.Sources))
	for i, s := range c.Sources {
		s.Secrets, s.SecretsFile = mask(s.Secrets), nil
		if s.Auth != nil {
			a := *s.Auth
			a.Bearer, a.BearerFile = maskOne(a.Bearer), ""
			a.URLToken, a.URLTokenFile = maskOne(a.URLToken), ""
			if a.Basic != nil {
				b := *a.Basic
				b.Password, b.PasswordFile = maskOne(b.Password), ""
				a.Basic = &b
			}
			if a.Header != nil {
				h := *a.Header
				h.Value, h.ValueFile = maskOne(h.Value), ""
				a.Header = &h
			}
			s.Auth = &a
		}
		if s.API != nil {
			a := *s.API
			a.Keys = map[string]string{}
			for k, v := range s.API.Keys {
				if apiKeySecret(s.Provider, k) {
					v = maskOne(v)
				}
				a.Keys[k] = v
			}
			a.BaseURL = redact.URL(a.BaseURL)
			s.API = &a
		}
		m.Sources[i] = s
	}
	m.Destinations = make([]Destination, len(c.Destinations))
	for i, d := range c.Destinations {
		d.Secret, d.SecretFile = maskOne(d.Secret), ""
		d.Secrets, d.SecretsFile = mask(d.Secrets), nil
		d.SigningKeys = nil
		d.URL = redact.URL(d.URL)
		if d.NATS != nil {
			n := *d.NATS
			n.URL = redact.URL(n.URL)
			d.NATS = &n
		}
		m.Destinations[i] = d
	}
	return yaml.Marshal(&m)
}

func mask(vs []string) []string {
	out := make([]string, len(vs))
	for i := range vs {
		out[i] = masked
	}
	return out
}

func maskOne(v string) string {
	if v == "" {
		return ""
	}
	return masked
}

// apiKeySecret reports whether an api block key of provider is a secret:
// as its provider declares it, and any key it does not know.
func apiKeySecret(providerName, key string) bool {
	if a, ok := registry.Lookup(providerName); ok && a.API != nil {
		for _, k := range a.API.Keys {
			if k.Name == key {
				return k.Secret
			}
		}
	}
	return true
}
