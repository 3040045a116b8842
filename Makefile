# Herald. `make dev` runs it; `make test` tests it.
GOBIN_DIR        := $(shell go env GOPATH)/bin
TEMPORAL         := $(GOBIN_DIR)/temporal
TEMPORAL_VERSION := v1.5.1
STATICCHECK      := $(GOBIN_DIR)/staticcheck
WORKFLOWCHECK    := $(GOBIN_DIR)/workflowcheck
FUZZTIME         ?= 5s

.PHONY: dev test build lint fmt temporal-cli postgres tools fuzz clean stack stack-down stack-test

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
	GOBIN=$(GOBIN_DIR) go install honnef.co/go/tools/cmd/staticcheck@v0.8.2
$(WORKFLOWCHECK):
	GOBIN=$(GOBIN_DIR) go install go.temporal.io/sdk/contrib/tools/workflowcheck@v0.6.0

## lint: gofmt, go vet, staticcheck, workflowcheck
lint: tools
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi
	go vet ./...
	$(STATICCHECK) ./...
	$(WORKFLOWCHECK) ./workflows/...

## stack: Temporal server on Postgres + Web UI, a gateway and two workers (see scripts/stack.sh)
stack: build
	@scripts/stack.sh

stack-down:
	@scripts/stack.sh down

## stack-test: start the stack, post events, kill a worker mid-flight, check every delivery arrives
stack-test: build
	@HERALD_ALLOW_PRIVATE_DESTINATIONS=true scripts/stack.sh
	HERALD_STACK_URL=http://127.0.0.1:8080 \
	HERALD_DATABASE_URL=$${HERALD_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/herald_stack?sslmode=disable} \
	HERALD_ALLOW_PRIVATE_DESTINATIONS=true \
	go test -count=1 -v -run StackSurvives ./deploy/stacktest/ ; status=$$?; scripts/stack.sh down; exit $$status

clean:
	rm -rf bin .data
