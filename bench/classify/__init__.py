"""Classification benchmarks: the classifier alone, and classify_lead through the real broker.

Usage: .venv/bin/python -m bench.classify [alone|broker|kill|all] [--n N]   (see docs/benchmarks.md)
"""
