"""`crm run` (README's first command) on a port of one's own (sixth session; each failed before its fix)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CRM = str(ROOT / ".venv" / "bin" / "crm")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _env(tmp_path: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("CRM_")}
    return {**env, "CRM_ENV": "development", "CRM_VAR_DIR": str(tmp_path / "var"), "CRM_LOG_FORMAT": "text"}


def test_emails_link_back_to_the_port_it_runs_on(tmp_path: Path) -> None:
    port = _free_port()
    log = (tmp_path / "run.log").open("w")
    process = subprocess.Popen([CRM, "run", "--port", str(port)], env=_env(tmp_path), stdout=log,
                               stderr=subprocess.STDOUT, cwd=tmp_path)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(600):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        body = json.dumps({"first_name": "Aoife", "email": "aoife@example.ie", "citizenships": ["Ireland"],
                           "age": 27}).encode()
        request = urllib.request.Request(base + "/api/leads", data=body, headers={"Content-Type": "application/json"})
        assert urllib.request.urlopen(request, timeout=10).status == 201
        outbox = tmp_path / "var" / "outbox"
        for _ in range(600):
            emails = list(outbox.glob("*.eml")) if outbox.exists() else []
            if emails:
                break
            time.sleep(0.1)
        assert emails, (tmp_path / "run.log").read_text()
        text = emails[0].read_text()
        assert f"{base}/unsubscribe/" in text  # was http://127.0.0.1:5000, a dead link on this port
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def test_a_port_in_use_stops_before_any_worker_starts(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([CRM, "run", "--port", str(port)], env=_env(tmp_path), capture_output=True,
                                text=True, timeout=120, cwd=tmp_path)
    assert result.returncode != 0
    assert "in use" in (result.stdout + result.stderr)
    assert "scheduler" not in (result.stdout + result.stderr).lower()  # nothing of the embedded runtime ran
