# Herald. `make dev` runs it; `make test` tests it.
GOBIN_DIR        := $(shell go env GOPATH)/bin
TEMPORAL         := $(GOBIN_DIR)/temporal
TEMPORAL_VERSION := v1.5.1
STATICCHECK      := $(GOBIN_DIR)/staticcheck
WORKFLOWCHECK    := $(GOBIN_DIR)/workflowcheck
FUZZTIME         ?= 5s

.PHONY: dev test build lint fmt temporal-cli postgres tools fuzz clean

## build: the herald binary in bin/
build:
	go build -o bin/herald ./cmd/herald

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
	@scripts/dev.sh

## test: every test, on the real Temporal dev server and Postgres
test: temporal-cli postgres
	go test -count=1 -timeout 20m ./...

## fuzz: run each fuzz target for FUZZTIME
fuzz:
	@for pkg in $$(go list ./...); do \
	  for target in $$(go test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "fuzz $$pkg $$target"; \
	    go test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

tools: $(STATICCHECK) $(WORKFLOWCHECK)
$(STATICCHECK):
	GOBIN=$(GOBIN_DIR) go install honnef.co/go/tools/cmd/staticcheck@latest
$(WORKFLOWCHECK):
	GOBIN=$(GOBIN_DIR) go install go.temporal.io/sdk/contrib/tools/workflowcheck@latest

## lint: gofmt, go vet, staticcheck, workflowcheck
lint: tools
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi
	go vet ./...
	$(STATICCHECK) ./...
	$(WORKFLOWCHECK) ./workflows/...

clean:
	rm -rf bin .data
