"""Email benchmarks: rendering in one process, and sending through the send_step actor to a local
aiosmtpd sink against raw smtplib on one reused connection (same sink, same run).

Usage: .venv/bin/python -m bench.email [render|send|all] [--n N]   (see docs/benchmarks.md, "## Email")
"""
