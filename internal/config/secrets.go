package config

import (
	"fmt"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"
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
			for _, f := range []struct {
				name string
				dst  *string
				path string
			}{
				{"app_token", &api.AppToken, api.AppTokenFile},
				{"secret_key", &api.SecretKey, api.SecretKeyFile},
				{"client_secret", &api.ClientSecret, api.ClientSecretFile},
				{"api_key", &api.APIKey, api.APIKeyFile},
				{"api_secret", &api.APISecret, api.APISecretFile},
			} {
				if err := fromFile(key+".api."+f.name, f.dst, f.path); err != nil {
					return err
				}
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

const masked = "<redacted>"

// Masked returns the configuration as YAML with every secret replaced by
// <redacted>, for showing it: kycgate config check.
func (c *Config) Masked() ([]byte, error) {
	m := *c
	m.APITokens, m.APITokensFile = mask(c.APITokens), nil
	m.Storage = maskURLPassword(c.Storage)
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
			a.AppToken, a.AppTokenFile = maskOne(a.AppToken), ""
			a.SecretKey, a.SecretKeyFile = maskOne(a.SecretKey), ""
			a.ClientSecret, a.ClientSecretFile = maskOne(a.ClientSecret), ""
			a.APIKey, a.APIKeyFile = maskOne(a.APIKey), ""
			a.APISecret, a.APISecretFile = maskOne(a.APISecret), ""
			s.API = &a
		}
		m.Sources[i] = s
	}
	m.Destinations = make([]Destination, len(c.Destinations))
	for i, d := range c.Destinations {
		d.Secret, d.SecretFile = maskOne(d.Secret), ""
		d.Secrets, d.SecretsFile = mask(d.Secrets), nil
		d.SigningKeys = nil
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

// maskURLPassword hides the password of a postgres://user:password@host URL.
func maskURLPassword(u string) string {
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok {
		return u
	}
	userinfo, host, ok := strings.Cut(rest, "@")
	if !ok {
		return u
	}
	if user, _, hasPassword := strings.Cut(userinfo, ":"); hasPassword {
		return scheme + "://" + user + ":" + masked + "@" + host
	}
	return u
}
