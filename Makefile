.PHONY: run test lint bench bench-exports

# Run the product on embedded defaults (SQLite, filesystem broker, web + worker + beat).
# `make run PORT=8001` (or PORT in the environment) serves on another port.
run:
	PORT="$(or $(PORT),8000)" scripts/run.sh

# Install what is needed, make sure PostgreSQL and Redis run, then ruff and pytest.
test:
	scripts/test.sh

lint:
	.venv/bin/ruff check .

bench:
	scripts/bench.sh

# One export of 1,000,000 rows: time and memory (bench/README.md records the figures).
bench-exports:
	scripts/bench_exports.sh
