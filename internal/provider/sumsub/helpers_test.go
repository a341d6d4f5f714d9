package sumsub_test

import "github.com/kycgate/kycgate/internal/provider"

func providerConfig(secrets ...string) provider.Config { return provider.Config{Secrets: secrets} }
