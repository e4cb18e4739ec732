"""bench/intake: our signed POST /api/leads against a bare one-insert Flask endpoint (and a second
baseline, bench/floor_app.py, that writes our new-lead rows and nothing else).

Run `.venv/bin/python -m bench.intake` (see bench/README.md and docs/benchmarks.md, section Intake).
"""
