"""The ruleset file: the loader's API, and `crm rules check` / `crm rules show`."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import yaml
from click.testing import CliRunner

from crm.classify.ruleset import RULESET_FILE, STREAM_SLUGS, load_ruleset, validate_data, validate_ruleset
from crm.cli.rules import rules_group


def test_the_packaged_ruleset_is_valid_and_complete() -> None:
    assert validate_ruleset() == []
    ruleset = load_ruleset()
    assert ruleset.version and isinstance(ruleset.effective_date, date)
    assert {stream.slug for stream in ruleset.streams} == set(STREAM_SLUGS)
    for stream in ruleset.streams:
        assert stream.name["en"] and stream.name["fr"] and stream.description["fr"]
        assert stream.documents["en"] and len(stream.documents["en"]) == len(stream.documents["fr"])
        assert stream.source.startswith("https://")
    assert ruleset.stream("entrepreneur").exemption_codes == ["C11"]


def test_the_iec_table_follows_the_sources_not_the_seed() -> None:
    ruleset = load_ruleset()
    for code in ("AD", "FI", "IS"):  # missing from the seed's list
        assert ruleset.iec_country(code) is not None and ruleset.iec_country(code).status == "active"
    for code in ("MX", "UA", "UY"):  # on the seed's list, not confirmed by the sources
        country = ruleset.iec_country(code)
        assert country is not None and country.confidence == "unconfirmed" and country.status != "active"
    norway = ruleset.iec_country("no")
    assert norway is not None and norway.max_age == 35  # "NO" is a string, not YAML's false
    switzerland = ruleset.iec_country("CH")
    assert switzerland is not None and switzerland.categories == ["young-professionals", "co-op"]
    assert ruleset.iec_country("US") is None


def test_validation_finds_every_kind_of_problem() -> None:
    data = yaml.safe_load(RULESET_FILE.read_text(encoding="utf-8"))
    data["version"] = ""
    data["iec"]["countries"]["XX"] = data["iec"]["countries"].pop("FR")
    data["iec"]["countries"]["DE"]["source"] = "a friend said so"
    data["iec"]["countries"]["IT"]["confidence"] = "sure"
    data["iec"]["countries"]["AT"]["max_age"] = 10
    del data["streams"]["entrepreneur"]
    del data["streams"]["iec-co-op"]["documents"]["fr"]
    transfers = data["streams"]["intra-company-transferee"]
    transfers["code_confidence"]["C99"] = {"confidence": "unconfirmed", "notes": "no such code"}
    transfers["code_confidence"]["C62"] = {"confidence": "maybe"}
    transfers["agreement_codes"]["nafta"] = {"executive": "T37", "specialized_knowledge": "T38"}
    transfers["agreement_codes"]["cusma"] = {"executive": "T24"}
    problems = "\n".join(validate_data(data))
    for expected in ("version is missing", "iec.countries.XX: not an ISO", "iec.countries.DE: source",
                     "iec.countries.IT: confidence", "iec.countries.AT: an active country needs min_age",
                     "streams.entrepreneur: missing", "streams.iec-co-op.documents: missing fr",
                     "code_confidence: C99 is not one of the stream's exemption codes",
                     "code_confidence.C62: needs a confidence", "agreement_codes: nafta is not an agreement",
                     "agreement_codes.cusma: needs executive and specialized_knowledge"):
        assert expected in problems


def test_rules_check_command(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(rules_group, ["check"])
    assert result.exit_code == 0, result.output
    assert "is valid" in result.output and "LU, MX, UA, UY, intra-company-transferee C62" in result.output
    broken = tmp_path / "broken.yaml"
    broken.write_text(RULESET_FILE.read_text(encoding="utf-8").replace('"NO": {', "NO: {"), encoding="utf-8")
    result = runner.invoke(rules_group, ["check", "--file", str(broken)])
    assert result.exit_code != 0 and "iec.countries.False: not an ISO" in result.output


def test_rules_show_command_accepts_names_and_nationalities() -> None:
    runner = CliRunner()
    result = runner.invoke(rules_group, ["show", "Irish"])
    assert result.exit_code == 0, result.output
    assert "Ireland (IE)" in result.output and "18-35" in result.output and "CETA" in result.output
    mexico = runner.invoke(rules_group, ["show", "Mexique"])
    assert "status suspended, confidence unconfirmed" in mexico.output and "CUSMA" in mexico.output
    usa = runner.invoke(rules_group, ["show", "USA"])
    assert "iec-recognized-organization" in usa.output
    assert runner.invoke(rules_group, ["show", "Atlantis"]).exit_code != 0


def test_rules_show_lists_each_open_stream_with_the_ruleset_codes() -> None:
    """The spousal stream also carries the sponsored spouse's code (A74): the list said C41/C42 only."""
    ruleset = load_ruleset()
    runner = CliRunner()
    irish = runner.invoke(rules_group, ["show", "Irish"]).output
    spousal = ruleset.stream("spousal-open-work-permit")
    expected = "/".join([*spousal.exemption_codes, ruleset.sponsored_spouse_code or ""]).rstrip("/")
    assert f"spousal-open-work-permit ({expected})" in irish and "A74" in expected
    # CUSMA's transfer codes are for its citizens only.
    assert "intra-company-transferee (C61/C62/C63)" in irish
    assert "intra-company-transferee (C61/C62/C63/T37/T38)" in runner.invoke(rules_group, ["show", "USA"]).output
