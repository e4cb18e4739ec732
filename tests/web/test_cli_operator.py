"""The `crm` command as an operator meets it: a mistake (database not migrated or unreachable, a bad
option, an unreadable file) ends with one clear line and a non-zero status, never a traceback; a long
`leads reclassify` shows progress off a terminal and can be interrupted and run again."""

from __future__ import annotations

import logging
import threading
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select

from crm import runtime
from crm.classify import service as classify_service
from crm.cli import cli, extra, serve
from crm.cli import db as db_cli
from crm.config import Settings
from crm.db import Database
from crm.models import Classification, User
from tests.conftest import BASE_ENV
from tests.web.conftest import classify, enrol

for _command in [*extra.commands(), *db_cli.COMMANDS, *serve.COMMANDS]:
    cli.add_command(_command)


def invoke(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=input)


def assert_user_error(result: Result, *fragments: str, code: int = 1) -> None:
    """Exit status `code`, the message in the output, and no exception other than click's own exit."""
    assert result.exit_code == code, (result.exit_code, result.output)
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    for fragment in fragments:
        assert fragment in result.output, result.output


@pytest.fixture
def database_at(tmp_path: Path) -> Iterator[Callable[[str], None]]:
    """Point the process's runtime at another database URL (unmigrated, unreachable...)."""

    def use(url: str) -> None:
        runtime.reset()
        runtime.use(Settings.from_env(dict(BASE_ENV, CRM_DATABASE_URL=url,
                                           CRM_MAIL_URL=f"file://{tmp_path / 'outbox'}")))

    yield use
    runtime.reset()


def test_database_mistakes_end_with_one_line(tmp_path: Path, database_at: Callable[[str], None]) -> None:
    database_at(f"sqlite:///{tmp_path / 'never-migrated.sqlite3'}")
    assert_user_error(invoke("users", "list"), "Run `crm db upgrade` first")
    assert_user_error(invoke("tokens", "create", "--user", "ana@firm.example"), "Run `crm db upgrade` first")
    assert_user_error(invoke("db", "check"), "not at the latest migration", "crm db upgrade")
    assert_user_error(invoke("db", "upgrade", "--revision", "no-such-revision"), "no-such-revision")

    database_at("postgresql://nobody@127.0.0.1:1/crm")  # nothing listens on port 1
    assert_user_error(invoke("users", "list"), "database error:")

    # Unusable URLs: a configuration error in one line, never the URL (it may hold a password)
    for url, message in (("nosuchdriver://host/crm", "cannot use"), ("mysql://u:secret@h/db", "cannot use"),
                         ("postgresql+psycopg2://u:secret@h/db", "cannot use"),
                         ("postgresql://u:secret@127.0.0.1:x/db", "is not a database URL"),
                         ("sqlite://", "use a file database"), ("sqlite:///:memory:", "use a file database")):
        database_at(url)
        result = invoke("users", "list")
        assert_user_error(result, message)
        assert "secret" not in result.output


def test_users_create_and_deactivate(db: Database) -> None:
    assert_user_error(invoke("users", "create", "--email", "a@firm.example", "--role", "consultant",
                             "--password", "short"), "at least 10 characters")
    prompted = invoke("users", "create", "--email", "a@firm.example", "--role", "consultant",
                      input="short\nshort\n")
    assert_user_error(prompted, "at least 10 characters")
    assert invoke("users", "create", "--email", "a@firm.example", "--role", "boss",
                  "--password", "a long password").exit_code == 2
    assert invoke("users", "create", "--email", "a@firm.example", "--role", "consultant",
                  "--password", "a long password").exit_code == 0
    assert_user_error(invoke("users", "create", "--email", "A@firm.example", "--role", "admin",
                             "--password", "a long password"), "already exists")
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(User)) == 1
    first = invoke("users", "deactivate", "--email", "a@firm.example")
    assert first.exit_code == 0 and "Deactivated a@firm.example" in first.output
    again = invoke("users", "deactivate", "--email", "a@firm.example")
    assert again.exit_code == 0 and "already deactivated" in again.output


def test_run_and_worker_refuse_numbers_they_cannot_use() -> None:
    # Parsed only (make_context): a port above 65535 used to be wrapped around by the socket layer
    # (99999 listened on 34463) and 0 worker threads to start a CRM that never classifies anything.
    for args in (["--port", "99999"], ["--port", "0"], ["--threads", "0"]):
        with pytest.raises(click.BadParameter):
            serve.run.make_context("run", args)
    with pytest.raises(click.BadParameter):
        serve.worker.make_context("worker", ["-p", "0"])
    assert serve.run.make_context("run", ["--port", "65535"]).params["port"] == 65535


def test_the_access_log_of_crm_run_leaves_the_query_string_out(caplog: pytest.LogCaptureFixture) -> None:
    from werkzeug.serving import make_server

    def app(environ: dict[str, object], start_response: Callable[..., object]) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    server = make_server("127.0.0.1", 0, app, request_handler=serve._access_log_handler())
    thread = threading.Thread(target=server.handle_request)
    thread.start()
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        url = f"http://127.0.0.1:{server.port}/leads?q=Siobhan&q2=siobhan%40example.ie"
        with urllib.request.urlopen(url) as response:
            assert response.status == 200
        thread.join()
    server.server_close()
    lines = [record.getMessage() for record in caplog.records if record.name == "werkzeug"]
    assert any('"GET /leads HTTP/1.1" 200' in line for line in lines), lines
    assert not any("Siobhan" in line or "siobhan" in line or "\x1b[" in line for line in lines), lines


def test_reclassify_refuses_an_unknown_stream(db: Database) -> None:
    assert_user_error(invoke("leads", "reclassify", "--stream", "iec-workingholiday"),
                      "is not a stream slug", code=2)


def test_reclassify_shows_progress_and_can_be_interrupted_and_run_again(
    db: Database, post_lead: Callable[..., str], monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = [post_lead() for _ in range(12)]
    for lead_id in ids:
        classify(db, lead_id, stream="entrepreneur")  # the rules say iec-working-holiday for these
    real = classify_service.classify_and_store
    calls = {"n": 0}

    def interrupted_at_the_fifth(*args: object, **kwargs: object) -> object:
        calls["n"] += 1
        if calls["n"] == 5:
            raise KeyboardInterrupt  # Ctrl+C while the fifth lead is being classified
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr("crm.cli.leads.classify_and_store", interrupted_at_the_fifth)
    stopped = invoke("leads", "reclassify", "--all")
    assert stopped.exit_code == 130, stopped.output
    assert "Interrupted after 4 of 12 lead(s): 4 changed primary stream" in stopped.output
    assert "Run the same command again to finish." in stopped.output
    assert "  1/12 ..." in stopped.output  # off a terminal: a line as it goes
    with db.transaction() as session:
        current = session.execute(select(Classification.lead_id, Classification.primary_stream)
                                  .where(Classification.is_current.is_(True))).all()
    moved = {lead_id for lead_id, stream in current if stream == "iec-working-holiday"}
    assert len(moved) == 4  # the four done kept their result; the fifth was rolled back

    monkeypatch.setattr("crm.cli.leads.classify_and_store", real)
    finished = invoke("leads", "reclassify", "--all")
    assert finished.exit_code == 0, finished.output
    assert "12 lead(s) reclassified: 8 changed primary stream, 4 did not." in finished.output
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Classification)
                              .where(Classification.is_current.is_(True),
                                     Classification.primary_stream == "iec-working-holiday")) == 12


def test_emails_preview_says_which_steps_exist(db: Database, post_lead: Callable[..., str]) -> None:
    lead_id = post_lead()
    classify(db, lead_id)
    enrol(db, lead_id)
    assert_user_error(invoke("emails", "preview", lead_id, "--step", "7"), "has no step 7", "steps: 0, 1")
    assert invoke("emails", "preview", lead_id, "--step", "-1").exit_code == 2
    one = invoke("emails", "preview", lead_id, "--step", "1")
    assert one.exit_code == 0 and "step 1 [" in one.output and "step 0 [" not in one.output
    bare = post_lead()
    assert "not enrolled in any sequence" in invoke("emails", "preview", bare, "--step", "1").output


def test_rules_check_reports_a_broken_file_instead_of_crashing(tmp_path: Path) -> None:
    binary = tmp_path / "latin1.yaml"
    binary.write_bytes("version: 'révision'\n".encode("latin-1"))
    assert_user_error(invoke("rules", "check", "--file", str(binary)), "not UTF-8")
    for text in ("iec: [FR, IE]\n", "sources: [a, b]\n", "gts_occupations: 5\n"):
        shaped = tmp_path / "shape.yaml"
        shaped.write_text(text, encoding="utf-8")
        assert_user_error(invoke("rules", "check", "--file", str(shaped)), "problem(s) in the ruleset")


def test_sequences_simulate_takes_country_names_and_refuses_unknown_ones(db: Database) -> None:
    named = invoke("sequences", "simulate", "--stream", "iec-working-holiday", "--citizenship", "France")
    assert named.exit_code == 0, named.output
    assert "29, FR;" in named.output and "citizens of France" in named.output
    assert_user_error(invoke("sequences", "simulate", "--stream", "iec-working-holiday", "--citizenship", "ZZ"),
                      "not a country we recognise", code=2)
    assert_user_error(invoke("sequences", "simulate", "--stream", "iec-working-holiday", "--residence", "Atlantis"),
                      "not a country we recognise", code=2)
    assert invoke("sequences", "simulate", "--stream", "iec-working-holiday", "--age", "-5").exit_code == 2
