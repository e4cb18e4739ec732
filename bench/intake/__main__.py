"""Run the intake benchmark: `.venv/bin/python -m bench.intake [options]`."""

from bench.intake.run import main

raise SystemExit(main())
