# Herald. `make dev` runs it; `make test` tests it.
GOBIN_DIR        := $(shell go env GOPATH)/bin
TEMPORAL         := $(GOBIN_DIR)/temporal
TEMPORAL_VERSION := v1.5.1
STATICCHECK      := $(GOBIN_DIR)/staticcheck
WORKFLOWCHECK    := $(GOBIN_DIR)/workflowcheck
FUZZTIME         ?= 5s

.PHONY: dev test build generate lint fmt temporal-cli postgres tools fuzz clean stack stack-down stack-test chaos chaos-stack

# The release herald --version prints: the tag, or the commit (+dirty).
VERSION          ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)

## build: the herald binary in bin/
build:
	go build -ldflags "-X github.com/heraldhq/herald/cli.Version=$(VERSION)" -o bin/herald ./cmd/herald

## temporal-cli: the Temporal CLI (dev server + Web UI), built from source when missing
temporal-cli: $(TEMPORAL)
$(TEMPORAL):
	@echo "building the Temporal CLI $(TEMPORAL_VERSION) into $(GOBIN_DIR) (a few minutes, once) ..."
	GOBIN=$(GOBIN_DIR) go install github.com/temporalio/cli/cmd/temporal@$(TEMPORAL_VERSION)

## postgres: start the local PostgreSQL if it is down
postgres:
	@scripts/ensure-postgres.sh

## dev: Temporal dev server with Web UI, database, migrations, gateway and worker
dev: build temporal-cli postgres
	@# On a terminal, dev.sh runs as a job of its own (bash -m), so Ctrl-C reaches it and not
	@# make, which would die of it: dev.sh stops everything and make ends with status 0.
	@if [ -t 0 ]; then bash -mc scripts/dev.sh; else scripts/dev.sh; fi

## test: every test, on the real Temporal dev server and Postgres
test: temporal-cli postgres
	go test -count=1 -timeout 20m ./...

## fuzz: run each fuzz target for FUZZTIME (one worker: FuzzHTTPBoundary
## runs a whole gateway, Postgres database and Temporal dev server per worker)
fuzz: temporal-cli postgres
	@for pkg in $$(go list ./...); do \
	  for target in $$(go test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "fuzz $$pkg $$target"; \
	    go test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) -parallel 1 $$pkg || exit 1; \
	  done; \
	done

tools: $(STATICCHECK) $(WORKFLOWCHECK)
$(STATICCHECK):
	GOBIN=$(GOBIN_DIR) go install honnef.co/go/tools/cmd/staticcheck@v0.8.2
$(WORKFLOWCHECK):
	GOBIN=$(GOBIN_DIR) go install go.temporal.io/sdk/contrib/tools/workflowcheck@v0.6.0

## generate: the OpenAPI document and the Go client made from it
generate:
	go generate ./...

## lint: gofmt, go vet, staticcheck, workflowcheck; the generated files are current
lint: tools
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi
	go vet ./...
	$(STATICCHECK) ./...
	$(WORKFLOWCHECK) ./workflows/...
	# The layout and the one direction of imports (docs/architecture.md).
	go test -count=1 ./test/layout
	# go generate leaves the tree as it is: the document and the client are current.
	go generate ./...
	@git diff --exit-code -- internal/openapi/openapi.json internal/apiclient/client.gen.go client/client.gen.go || \
	  (echo "go generate ./... changed the generated files: commit them"; exit 1)

## stack: Temporal server on Postgres + Web UI, a gateway and two workers (see scripts/stack.sh)
stack: build
	@scripts/stack.sh

stack-down:
	@scripts/stack.sh down

# The chaos workload times deliveries for seconds, not hours: hanging receivers
# cost 2 s and retries start after 1 s (the defaults are 15 s and 5 s).
CHAOS_DELIVERY_ENV := HERALD_ALLOW_PRIVATE_DESTINATIONS=true HERALD_ATTEMPT_TIMEOUT=2s HERALD_CONNECT_TIMEOUT=1s \
  HERALD_RETRY_INITIAL_INTERVAL=1s HERALD_RETRY_BACKOFF=2 HERALD_RETRY_MAX_INTERVAL=8s HERALD_RETRY_MAX_ATTEMPTS=30
STACK_DB := $${HERALD_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/herald_stack?sslmode=disable}

## stack-test: a key-ring rotation with rolling restarts while events flow, then the chaos
## workload (300 events × 3 flapping receivers) with one of the two workers SIGKILLed
stack-test: build
	@# A database of its own each run: the run's .data/stack/secret-keys seals it.
	@[ -n "$${HERALD_DATABASE_URL:-}" ] || psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS herald_stack" postgres
	@$(CHAOS_DELIVERY_ENV) scripts/stack.sh
	HERALD_STACK_URL=http://127.0.0.1:8080 HERALD_DATABASE_URL=$(STACK_DB) \
	go test -count=1 -v -run '^TestSecretRotationStack$$' -timeout 15m ./test/chaos/ && \
	HERALD_STACK_URL=http://127.0.0.1:8080 HERALD_DATABASE_URL=$(STACK_DB) \
	go test -count=1 -v -run '^TestChaosStack$$' -timeout 30m ./test/chaos/ ; status=$$?; scripts/stack.sh down; exit $$status

## chaos: the full chaos run: 2,000 events × 3 integrations while the worker, the
## Temporal dev server and Postgres crash and receivers flap (report in .data/chaos.json)
chaos: temporal-cli postgres
	@mkdir -p .data
	HERALD_CHAOS_EVENTS=$${HERALD_CHAOS_EVENTS:-2000} HERALD_CHAOS_RATE=$${HERALD_CHAOS_RATE:-40} HERALD_CHAOS_REPORT=$(CURDIR)/.data/chaos.json \
	go test -count=1 -v -run '^TestChaos$$' -timeout 60m ./test/chaos/

## chaos-stack: the same 2,000 events on the production-shaped stack (report in .data/chaos-stack.json)
chaos-stack: build
	@mkdir -p .data
	@[ -n "$${HERALD_DATABASE_URL:-}" ] || psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS herald_stack" postgres
	@$(CHAOS_DELIVERY_ENV) scripts/stack.sh
	HERALD_STACK_URL=http://127.0.0.1:8080 HERALD_DATABASE_URL=$(STACK_DB) \
	HERALD_CHAOS_EVENTS=$${HERALD_CHAOS_EVENTS:-2000} HERALD_CHAOS_RATE=$${HERALD_CHAOS_RATE:-30} HERALD_CHAOS_REPORT=$(CURDIR)/.data/chaos-stack.json \
	go test -count=1 -v -run '^TestChaosStack$$' -timeout 60m ./test/chaos/ ; status=$$?; scripts/stack.sh down; exit $$status

clean:
	rm -rf bin .data
