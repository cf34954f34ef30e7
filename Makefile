# Shortcuts for the two quick-start commands, the dependency lock and the benchmarks (see README.md).
.PHONY: serve test bench lock

serve:
	bash scripts/serve.sh

test:
	bash scripts/test.sh

lock:
	bash scripts/lock.sh

bench:
	.venv/bin/python benchmarks/engine_throughput.py
	.venv/bin/python benchmarks/memory.py
	.venv/bin/python benchmarks/http_load.py
