"""The hand-over journal: where a message stood when its worker died, without a database commit per email.

Each sending process appends to its own file, `<dir>/<host>/<pid>-<start>.journal`, two kinds of line:

    H <message-id> <attempt>                  just before the SMTP DATA (the point of no return)
    S <message-id> <attempt>                  right after the server's 250 (before the outcome commit)

Lines are written with one os.write on an O_APPEND descriptor: the kernel holds the bytes as soon as the
call returns, so they survive a SIGKILL of the process (not a power cut of the host: no fsync per
email; a host crash is handled like a missing journal, see docs/email.md). Keys are the message's
Message-ID (unique across databases and tests) plus the delivery's attempt number, because a retry
after a temporary failure re-sends the same message.

Whoever settles a dead claim reads the journals of the claim's host: S -> it was sent; H without S ->
it may have been sent (killed between the data and the reply); nothing -> it certainly was not.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from time import monotonic

from crm.config import var_dir

HANDED_OVER = "handed-over"
SENT = "sent"
# Journal files untouched for this long belong to processes gone for good; no claim can still need
# them (dead claims are settled within minutes), so the settler removes them.
PRUNE_AFTER_SECONDS = 7 * 24 * 3600
# A writer checks that its file was not pruned only when it wrote nothing for this long.
RECHECK_SECONDS = 3600.0


def journal_dir() -> Path:
    """CRM_MAIL_JOURNAL_DIR, else <CRM_VAR_DIR>/mail-journal. Read on each call: tests point it elsewhere."""
    configured = os.environ.get("CRM_MAIL_JOURNAL_DIR", "")
    return Path(configured) if configured else var_dir() / "mail-journal"


def host_name() -> str:
    """The name claims are stamped with (CRM_MAIL_HOST, else the host name): the settler needs it to
    know whose journal tells the truth about a claim."""
    name = os.environ.get("CRM_MAIL_HOST", "") or socket.gethostname() or "localhost"
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)[:100]


class JournalWriter:
    """One append-only file per process; re-opened after a fork (Dramatiq worker processes)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._key: tuple[int, str] | None = None
        self._written = 0.0  # time.monotonic() of the last line written (or of the file's creation)

    def _descriptor(self) -> int:
        # Compared by the variable's text: building a Path per line costs more than the write.
        key = (os.getpid(), os.environ.get("CRM_MAIL_JOURNAL_DIR", ""))
        if self._fd is not None and self._key == key:
            # The settler prunes a file only after PRUNE_AFTER_SECONDS without a line (by its mtime): one
            # that got a line within the last hour is still there, so fstat only after an hour without
            # a line. Only a line counts: a check leaves the mtime, and so the settler's clock, as it was.
            if 0 <= monotonic() - self._written < RECHECK_SECONDS:
                return self._fd
            if os.fstat(self._fd).st_nlink > 0:  # st_nlink 0: pruned; start a new file, or our lines
                return self._fd                  # would go to a file nobody can read any more
        if self._fd is not None:
            os.close(self._fd)
        folder = journal_dir() / host_name()
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{key[0]}-{time.time_ns()}.journal"
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        self._key = key
        self._written = monotonic()
        return self._fd

    def open(self) -> None:
        """Create this host's folder and this process's file before the first claim: a settler treats a
        host whose folder it cannot see as unreadable (never as "nothing was handed over")."""
        with self._lock:
            self._descriptor()

    def write(self, kind: str, message_id: str, attempt: int) -> None:
        line = f"{kind} {message_id.strip('<>')} {attempt}\n".encode("ascii", "replace")
        with self._lock:
            os.write(self._descriptor(), line)  # one write: never interleaved with another thread's line
            self._written = monotonic()

    def handed_over(self, message_id: str, attempt: int) -> None:
        self.write("H", message_id, attempt)

    def sent(self, message_id: str, attempt: int) -> None:
        self.write("S", message_id, attempt)


_writer = JournalWriter()


def writer() -> JournalWriter:
    return _writer


@dataclass
class JournalView:
    """What the journals of some hosts say, read once per settling pass."""

    hosts: set[str] = field(default_factory=set)  # hosts whose journal folder this process can read
    states: dict[tuple[str, int], str] = field(default_factory=dict)

    def readable(self, host: str | None) -> bool:
        return host is not None and host in self.hosts

    def state(self, message_id: str | None, attempt: int) -> str | None:
        """SENT, HANDED_OVER or None (never handed over: certainly not sent)."""
        return self.states.get(((message_id or "").strip("<>"), attempt))


def read_journals(prune: bool = True) -> JournalView:
    """Every host folder under the journal directory (the settler's own host, or all hosts when the
    directory is shared storage). Only hosts with a folder here are readable: a process that journals
    elsewhere (another CRM_MAIL_JOURNAL_DIR) has its claims left alone, never re-sent blind.
    A torn last line (killed mid-write) is ignored: an H torn by a kill was being written before the
    message bytes, so they certainly never left."""
    view = JournalView()
    root = journal_dir()
    if not root.is_dir():
        return view  # no host readable: claims wait for the process that can read theirs
    cutoff = time.time() - PRUNE_AFTER_SECONDS
    for folder in root.iterdir():
        if not folder.is_dir():
            continue
        view.hosts.add(folder.name)
        for path in folder.glob("*.journal"):
            if prune and path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
                continue
            for raw in path.read_bytes().splitlines():
                parts = raw.decode("ascii", "replace").split(" ")
                if len(parts) != 3 or not parts[2].isdigit():
                    continue
                key = (parts[1], int(parts[2]))
                if parts[0] == "S":
                    view.states[key] = SENT
                elif parts[0] == "H" and key not in view.states:
                    view.states[key] = HANDED_OVER
    return view
