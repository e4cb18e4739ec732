"""python -m bench.email [render|send|all] [--n N] [--render-n N] [--threads T] [--database URL] [--processes]"""

from __future__ import annotations

import argparse


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.email")
    parser.add_argument("what", nargs="?", default="all", choices=["render", "send", "all"])
    parser.add_argument("--n", type=int, default=2_000, help="emails sent in the send benchmark")
    parser.add_argument("--render-n", type=int, default=10_000, help="emails rendered in the render benchmark")
    parser.add_argument("--threads", type=int, default=8, help="worker threads for the actor run")
    parser.add_argument("--database", default="", help="database URL (default: a fresh SQLite file)")
    parser.add_argument("--processes", action="store_true",
                        help="send through 2 `dramatiq workers.actors` processes on Redis (as `crm worker`)")
    args = parser.parse_args()
    if args.what in ("render", "all"):
        from bench.email import render

        render.run(args.render_n)
    if args.what in ("send", "all"):
        from bench.email import send

        send.run(args.n, args.threads, args.database, args.processes)


if __name__ == "__main__":
    main()
