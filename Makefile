# glint — common tasks. `make help` lists them.
.DEFAULT_GOAL := help
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

run: ## run the server on ./glint.db
	go run ./cmd/glint serve

build: ## build ./glint
	go build -o glint ./cmd/glint

test: ## the whole suite: lint, then every test on SQLite and PostgreSQL
	./scripts/test.sh

lint: ## gofmt, go vet, staticcheck
	./scripts/lint.sh

bench: ## Go benchmarks of the ledger write path and the calculator
	go test -run '^$$' -bench . -benchmem ./internal/ledger/... ./internal/economy/... ./internal/store/...

crash-test: ## kill -9 under load for CRASH_FOR (default 60s), on SQLite and PostgreSQL
	./scripts/crash-test.sh

fuzz: ## every fuzz target for FUZZTIME each (default 30s)
	./scripts/fuzz.sh

.PHONY: help run build test lint bench crash-test fuzz
