"""bench/intake: our signed POST /api/leads against a bare one-insert Flask endpoint.

Run `.venv/bin/python -m bench.intake` (see bench/README.md and docs/benchmarks.md, section Intake).
"""
