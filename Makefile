# Shortcuts for the two quick-start commands and the benchmarks (see README.md).
.PHONY: serve test bench

serve:
	bash scripts/serve.sh

test:
	bash scripts/test.sh

bench:
	.venv/bin/python benchmarks/engine_throughput.py
	.venv/bin/python benchmarks/memory.py
	.venv/bin/python benchmarks/http_load.py
