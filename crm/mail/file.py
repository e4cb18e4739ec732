"""file:///path/to/outbox: one .eml file per message (the embedded default; nothing leaves the machine)."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlsplit

from crm.db import utcnow
from crm.mail.errors import TemporaryMailError
from crm.mail.message import MailMessage


class FileTransport:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @classmethod
    def from_url(cls, url: str) -> FileTransport:
        parts = urlsplit(url)
        path = unquote(parts.path)
        if parts.netloc and parts.netloc != "localhost":
            # file://relative/dir is a common slip; treat the host part as the first folder.
            path = f"{parts.netloc}{path}"
        if not path:
            raise ValueError("file:// mail URL needs a folder, e.g. file:///var/lib/crm/outbox")
        return cls(Path(path))

    def send(self, message: MailMessage, handover: Callable[[], None] | None = None) -> None:
        if handover is not None:
            handover()
        data = message.data
        key = hashlib.sha256(message.message_id.encode() + data[:4096]).hexdigest()[:16]
        name = f"{utcnow().strftime('%Y%m%dT%H%M%S%fZ')}-{key}.eml"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            # Written under a temporary name and renamed, so a reader never sees half a message.
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".tmp-", suffix=".eml")
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, self.folder / name)
        except OSError as exc:
            raise TemporaryMailError(f"could not write to the outbox folder: {exc.strerror}") from exc

    def close(self) -> None:
        return None
