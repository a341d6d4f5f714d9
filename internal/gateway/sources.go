package gateway

import (
	"time"

	"github.com/kycgate/kycgate/internal/config"
	"github.com/kycgate/kycgate/internal/fetch"
	"github.com/kycgate/kycgate/internal/ingest"
	"github.com/kycgate/kycgate/internal/provider"
)

// IngestSources builds the configured sources' endpoints, in the order the
// configuration lists them.
func IngestSources(cfg *config.Config) ([]*ingest.Source, error) {
	out := make([]*ingest.Source, 0, len(cfg.Sources))
	for _, c := range cfg.Sources {
		src, err := ingest.NewSource(ingestOptions(c))
		if err != nil {
			return nil, ConfigError{Err: err}
		}
		out = append(out, src)
	}
	return out, nil
}

// ingestOptions are the options of a source's endpoint from its validated
// configuration.
func ingestOptions(c config.Source) ingest.SourceOptions {
	o := ingest.SourceOptions{
		Name:     c.Name,
		Provider: c.Provider,
		Webhooks: provider.Config{Secrets: c.Secrets, ExternalUserIDKey: c.ExternalUserIDKey, MinTrustScore: c.MinTrustScore},
		MaxBody:  int64(c.MaxBodyBytes),
		Allow:    c.AllowPrefixes,
	}
	if a := c.Auth; a != nil {
		switch {
		case a.Basic != nil:
			o.Credential = ingest.BasicAuth(a.Basic.Username, a.Basic.Password)
		case a.Bearer != "":
			o.Credential = ingest.BearerToken(a.Bearer)
		case a.Header != nil:
			o.Credential = ingest.HeaderToken(a.Header.Name, a.Header.Value)
		case a.URLToken != "":
			o.Credential = ingest.URLToken(a.URLToken)
		}
	}
	return o
}

// FetchSources are the options of the configured sources that have an api
// block, for the fetch worker.
func FetchSources(cfg *config.Config) []fetch.SourceOptions {
	var out []fetch.SourceOptions
	for _, c := range cfg.Sources {
		if c.API == nil {
			continue
		}
		out = append(out, fetch.SourceOptions{
			Name: c.Name, Provider: c.Provider, API: c.API.Credentials(),
			Timeout: time.Duration(c.API.Timeout), MinInterval: time.Duration(c.API.MinInterval),
		})
	}
	return out
}
