"""python -m bench.classify [alone|broker|kill|all] [--n N] [--kill-n N]"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.classify")
    parser.add_argument("what", nargs="?", default="all", choices=["alone", "broker", "kill", "all"])
    parser.add_argument("--n", type=int, default=20_000, help="messages for the broker drain run")
    parser.add_argument("--alone-n", type=int, default=100_000, help="leads for the classifier-alone run")
    parser.add_argument("--kill-n", type=int, default=5_000, help="leads for the SIGKILL run")
    args = parser.parse_args()
    log = Path(tempfile.mkdtemp(prefix="bench-classify-")) / "workers.log"
    if args.what in ("alone", "all"):
        from bench.classify import alone

        alone.run(args.alone_n)
    if args.what in ("broker", "kill", "all"):
        from bench.classify import broker

        print(f"(worker output: {log})")
        if args.what in ("broker", "all"):
            broker.run_drain(args.n, log)
        if args.what in ("kill", "all"):
            broker.run_kill(args.kill_n, log)


if __name__ == "__main__":
    main()
