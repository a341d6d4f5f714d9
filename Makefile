# kycgate — run `make help` for the targets.
GO       ?= go
BIN      ?= bin/kycgate
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT   ?= $(shell git rev-parse --short HEAD 2>/dev/null)
LDFLAGS  := -X main.version=$(VERSION) -X main.commit=$(COMMIT)
# A count, not a duration: Go 1.26's fuzz coordinator can fail a duration run
# at its deadline with no crasher (golang/go#75804, fixed in Go 1.27).
FUZZTIME ?= 100000x
# Every provider package with a FuzzProvider target.
FUZZ_PKGS := $(sort $(dir $(shell grep -l '^func FuzzProvider' internal/provider/*/*_test.go)))

.PHONY: help build install demo run test lint bench fuzz crash screenshots clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

build: ## build bin/kycgate
	@echo "building $(BIN) (the first build compiles SQLite's C code and takes about a minute; later builds, seconds)"
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/kycgate

install: ## install kycgate in GOBIN (default GOPATH/bin), to run it as plain kycgate
	@echo "installing kycgate (the first build compiles SQLite's C code and takes about a minute; later builds, seconds)"
	$(GO) install -ldflags "$(LDFLAGS)" ./cmd/kycgate
	@dir=$$($(GO) env GOBIN); [ -n "$$dir" ] || dir=$$($(GO) env GOPATH)/bin; \
	echo "installed $$dir/kycgate: $$($$dir/kycgate version)"; \
	case ":$$PATH:" in *":$$dir:"*) ;; *) echo "$$dir is not on your PATH: export PATH=\"$$dir:\$$PATH\"";; esac

demo: build ## serve on 127.0.0.1:8080 with a fresh store and feed it simulated journeys of every provider
	./$(BIN) demo

run: build ## run the gateway with kycgate.example.yaml (SQLite at ./kycgate.db)
	./$(BIN) serve --config kycgate.example.yaml

test: ## vet and run every test with the race detector, then list the skipped ones and why (the CI command)
	$(GO) vet ./...
	$(GO) run ./internal/testsummary -race -timeout 20m ./...

lint: ## check formatting and vet
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt would change:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...

bench: ## run the ingest benchmarks (durable ingest beside the bare-handler floor)
	$(GO) test -run '^$$' -bench . -benchtime 5s ./internal/server

fuzz: ## fuzz every adapter, the config loader and the API's query parameters, FUZZTIME executions each
	@for p in $(FUZZ_PKGS); do \
		$(GO) test -run '^$$' -fuzz FuzzProvider -fuzztime $(FUZZTIME) ./$$p || exit 1; \
	done
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime $(FUZZTIME) ./internal/config
	$(GO) test -run '^$$' -fuzz FuzzAPIQuery -fuzztime $(FUZZTIME) ./internal/server

crash: ## 20 cycles of SIGKILL under ingest and delivery (CI runs 2)
	KYCGATE_CRASH_CYCLES=20 $(GO) test -count=1 -timeout 20m -run 'TestDurability' -v ./cmd/kycgate

screenshots: ## drive the dashboard in headless Chromium and save its screenshots in docs/images
	KYCGATE_SCREENSHOTS=$(CURDIR)/docs/images $(GO) test -count=1 -run 'TestDashboard' ./cmd/kycgate

clean: ## remove build output and the example database
	rm -rf bin kycgate.db kycgate.db-wal kycgate.db-shm kycgate.db-serve.lock
