.PHONY: run test lint bench

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
