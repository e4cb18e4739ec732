"""A counting SMTP sink (aiosmtpd) for the send benchmark, in its own process so that it does not
compete with the sender for the interpreter lock. `RCPT TO:<count@sink.invalid>` answers the count.

Usage: python -m bench.email.sink PORT
"""

from __future__ import annotations

import asyncio
import signal
import sys
import threading
from typing import Any

from aiosmtpd.controller import Controller

COUNT_ADDRESS = "count@sink.invalid"


class CountingHandler:
    def __init__(self) -> None:
        self.count = 0

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        if address == COUNT_ADDRESS:
            return f"250 {self.count}"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.count += 1
        return "250 Message accepted"


def main() -> None:
    port = int(sys.argv[1])
    controller = Controller(CountingHandler(), hostname="127.0.0.1", port=port, loop=asyncio.new_event_loop())
    controller.start()
    print("ready", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
