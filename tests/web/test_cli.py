"""`crm users create|list|deactivate` and `crm tokens create` (the token alone on the last line)."""

from __future__ import annotations

from click.testing import CliRunner

from crm.cli import cli, extra
from crm.db import Database
from crm.workspace import accounts

for _command in extra.commands():
    cli.add_command(_command)


def test_users_and_tokens(db: Database) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["users", "create", "--email", "Lea@Firm.example", "--role", "consultant",
                                 "--password", "a long password", "--languages", "fr,en",
                                 "--streams", "francophone-mobility"])
    assert result.exit_code == 0, result.output
    prompted = runner.invoke(cli, ["users", "create", "--email", "boss@firm.example", "--role", "admin"],
                             input="another password\nanother password\n")
    assert prompted.exit_code == 0, prompted.output
    duplicate = runner.invoke(cli, ["users", "create", "--email", "lea@firm.example", "--role", "admin",
                                    "--password", "a long password"])
    assert duplicate.exit_code != 0 and "already exists" in duplicate.output
    unknown = runner.invoke(cli, ["users", "create", "--email", "x@firm.example", "--role", "consultant",
                                  "--password", "a long password", "--streams", "iec-typo"])
    assert unknown.exit_code != 0 and "Unknown stream: iec-typo" in unknown.output
    listing = runner.invoke(cli, ["users", "list"])
    assert "lea@firm.example\tconsultant\tactive\ten,fr\tfrancophone-mobility" in listing.output

    token = runner.invoke(cli, ["tokens", "create", "--user", "lea@firm.example"])
    assert token.exit_code == 0
    value = token.stdout.strip().splitlines()[-1]
    with db.transaction() as session:
        user = accounts.user_for_token(session, value)
        assert user is not None and user.email == "lea@firm.example"
        assert accounts.authenticate(session, "lea@firm.example", "a long password") is not None

    deactivated = runner.invoke(cli, ["users", "deactivate", "--email", "lea@firm.example"])
    assert deactivated.exit_code == 0
    with db.transaction() as session:
        assert accounts.user_for_token(session, value) is None
    assert runner.invoke(cli, ["tokens", "create", "--user", "nobody@firm.example"]).exit_code != 0


def test_users_create_says_what_is_wrong_before_asking_for_the_password(db: Database) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["users", "create", "--email", "lea@firm.example", "--role", "consultant",
                               "--password", "a long password"]).exit_code == 0
    for args, message in ((["--email", "Lea@Firm.example"], "already exists"),
                          (["--email", "x@firm.example", "--streams", "iec-typo"], "Unknown stream: iec-typo"),
                          (["--email", "not an email"], "valid email")):
        result = runner.invoke(cli, ["users", "create", "--role", "consultant", *args], input="")
        assert result.exit_code == 1 and message in result.output
        assert "Password" not in result.output  # refused before the prompt
