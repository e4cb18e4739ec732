"""Cases found by posting to a running `crm run` as a website and as a browser would (black-box session).

Each test here failed before its fix: Norway's code read by YAML as false (a 500 for "Norwegian"), the
/apply page refused as rendered (its unused second-citizenship select posts an empty value), ISO names
written the other way round read as another country, raw UTF-8 in a URL-encoded body refused as "not
UTF-8", full-width NOC digits stored where the ruleset cannot match them.
"""

from __future__ import annotations

import json
from html.parser import HTMLParser
from urllib.parse import urlencode

import pytest
import yaml
from flask.testing import FlaskClient
from sqlalchemy import select

from crm.classify.signals import read_message
from crm.countries import ALIASES_FILE, lookup_country
from crm.db import Database
from crm.intake.parsing import BodyError, parse_multipart
from crm.models import Inquiry, Lead
from tests.intake.helpers import counts, lead_payload, post_json


class _BrowserForm(HTMLParser):
    """The name/value pairs a browser submits for a form left as rendered (no JavaScript)."""

    def __init__(self) -> None:
        super().__init__()
        self.pairs: list[tuple[str, str]] = []
        self._select: str | None = None
        self._options: list[str] = []
        self._selected: str | None = None
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "input" and a.get("type", "text") not in ("checkbox", "radio", "submit"):
            self.pairs.append((a["name"], a.get("value", "")))
        elif tag == "input" and a.get("type") in ("checkbox", "radio") and "checked" in a:
            self.pairs.append((a["name"], a.get("value", "on")))
        elif tag == "select":
            self._select, self._options, self._selected = a["name"], [], None
        elif tag == "option" and self._select is not None:
            self._options.append(a.get("value", ""))
            if "selected" in a:
                self._selected = a.get("value", "")
        elif tag == "textarea":
            self._textarea, self._text = a["name"], ""

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "select" and self._select is not None:
            value = self._selected if self._selected is not None else (self._options or [""])[0]
            self.pairs.append((self._select, value))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self.pairs.append((self._textarea, self._text))
            self._textarea = None


def _as_rendered(client: FlaskClient, path: str) -> list[tuple[str, str]]:
    parser = _BrowserForm()
    parser.feed(client.get(path).get_data(as_text=True))
    return parser.pairs


def _fill(pairs: list[tuple[str, str]], **values: str) -> list[tuple[str, str]]:
    """Fill in the first field of each name, as a person would; other fields keep their rendered value."""
    filled, done = [], set()
    for name, value in pairs:
        if name in values and name not in done:
            filled.append((name, values[name]))
            done.add(name)
        else:
            filled.append((name, value))
    return filled


@pytest.mark.parametrize("path", ["/apply", "/apply?lang=fr"])
def test_the_apply_page_submitted_as_rendered_with_one_citizenship_is_accepted(
    client: FlaskClient, db: Database, path: str
) -> None:
    pairs = _fill(_as_rendered(client, path), first_name="Seán", email="sean@example.ie", citizenships="IE",
                  date_of_birth="1999-06-02", interest="work")
    assert [v for k, v in pairs if k == "citizenships"] == ["IE", ""]  # the second select left at "None"
    response = client.post("/api/leads", data=urlencode(pairs), content_type="application/x-www-form-urlencoded",
                           headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert response.status_code == 303, response.get_data(as_text=True)[-600:]
    with db.session() as session:
        lead = session.scalars(select(Lead)).one()
        assert lead.citizenships == ["IE"] and lead.unknown_countries == []


@pytest.mark.parametrize("citizenships", [["FR", ""], ["", "FR"], ["FR", "  "]])
def test_blank_entries_in_a_citizenship_list_are_ignored(client: FlaskClient, db: Database,
                                                         citizenships: list[str]) -> None:
    response = post_json(client, lead_payload(citizenships=citizenships))
    assert response.status_code == 201, response.json
    with db.session() as session:
        assert session.scalars(select(Lead.citizenships)).one() == ["FR"]


@pytest.mark.parametrize(("field", "value"), [("citizenships", ["Norwegian"]), ("country_of_residence", "Norge"),
                                              ("nationality", "Norvégienne"), ("citizenships", "Norvège")])
def test_norway_by_any_name_is_norway(client: FlaskClient, db: Database, field: str, value: object) -> None:
    payload = lead_payload(**{field: value})
    if field == "nationality":
        del payload["citizenships"]
    response = post_json(client, payload)
    assert response.status_code == 201, response.json
    with db.session() as session:
        lead = session.scalars(select(Lead)).one()
        assert "NO" in [*lead.citizenships, lead.country_of_residence]


def test_every_alias_and_nationality_maps_to_an_iso_code() -> None:
    data = yaml.safe_load(ALIASES_FILE.read_text(encoding="utf-8"))
    for section in ("aliases", "demonyms"):
        for word, code in data[section].items():
            match = lookup_country(word)
            assert isinstance(code, str) and match is not None and match.code == code, (section, word, code)


def test_a_message_naming_a_norwegian_reads_as_norway() -> None:
    signals = [s for s in read_message("Hi, I am Norwegian and 24 years old.") if s.kind == "citizenship"]
    assert [s.value for s in signals] == ["NO"]


@pytest.mark.parametrize(("typed", "code"), [
    ("République de Corée", "KR"),  # was read as Cyprus (a close match)
    ("Republique de Coree", "KR"),
    ("Fédération de Russie", "RU"),
    ("The Democratic Republic of the Congo", "CD"),
    ("Islamic Republic of Iran", "IR"),
    ("N. Ireland", "GB"),  # was read as Ireland: another IEC country
    ("Northern Irish", "GB"),
    ("Chinese Taipei", "TW"),
])
def test_names_people_write_are_read_as_the_right_country(typed: str, code: str) -> None:
    match = lookup_country(typed)
    assert match is not None and match.code == code and match.how != "close-match"


def test_raw_utf8_in_a_url_encoded_body_is_accepted_and_stored_byte_for_byte(client: FlaskClient,
                                                                            db: Database) -> None:
    body = "first_name=Zoë&last_name=Ångström&email=zoe@example.de&citizenships=Deutschland".encode()
    response = client.post("/api/leads", data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 201, response.json
    with db.session() as session:
        lead = session.scalars(select(Lead)).one()
        assert (lead.first_name, lead.last_name, lead.citizenships) == ("Zoë", "Ångström", ["DE"])
        assert session.scalars(select(Inquiry.raw_body)).one() == body


def test_a_url_encoded_body_that_is_not_utf8_is_still_a_400(client: FlaskClient, db: Database) -> None:
    response = client.post("/api/leads", data=b"first_name=Zo\xeb&email=zoe@example.de",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400 and "body" in response.json["errors"]  # type: ignore[index]
    assert counts(db)["inquiries"] == 0


@pytest.mark.parametrize("noc", ["２１２３１", "٢١٢٣١", " 21231 "])
def test_noc_codes_in_other_digits_are_stored_as_ascii(client: FlaskClient, db: Database, noc: str) -> None:
    response = client.post("/api/leads", data=json.dumps(lead_payload(noc_code=noc), ensure_ascii=False).encode(),
                           content_type="application/json")
    assert response.status_code == 201, response.json
    with db.session() as session:
        assert session.scalars(select(Lead.facts)).one()["noc_code"] == "21231"


@pytest.mark.parametrize(("value", "message"), [(True, "Must be a number."),
                                                ("nan", "Must be a finite number."),
                                                ("inf", "Must be a finite number.")])
def test_years_with_employer_refuses_booleans_and_non_finite_numbers_by_name(
    client: FlaskClient, value: object, message: str
) -> None:
    response = post_json(client, lead_payload(years_with_employer=value))
    assert response.status_code == 422
    assert response.json == {"errors": {"years_with_employer": [message]}}


def _multipart(parts: list[tuple[bytes, bytes]], boundary: bytes = b"XyZ") -> bytes:
    body = b"".join(b"--" + boundary + b'\r\nContent-Disposition: form-data; name="' + name + b'"\r\n\r\n'
                    + value + b"\r\n" for name, value in parts)
    return body + b"--" + boundary + b"--\r\n"


def test_parse_multipart_reads_fields_and_repeated_lists() -> None:
    body = _multipart([(b"first_name", "Zoë".encode()), (b"email", b"zoe@example.de"), (b"citizenships", b"DE"),
                       (b"citizenships", b"AT")])
    assert parse_multipart(body, 'multipart/form-data; boundary="XyZ"') == {
        "first_name": "Zoë", "email": "zoe@example.de", "citizenships": ["DE", "AT"]}


@pytest.mark.parametrize(("body", "content_type"), [
    (_multipart([(b"first_name", b"Zo\xeb"), (b"email", b"zoe@example.de")]), "multipart/form-data; boundary=XyZ"),
    (_multipart([(b"first_name", b"Zoe")]), "multipart/form-data"),
    (_multipart([(b"first_name", b"Zoe")]), "multipart/form-data; boundary=Other"),
    (_multipart([(b"first_name", b"Zoe"), (b"email", b"zoe@example.de")])[:-12], "multipart/form-data; boundary=XyZ"),
    (_multipart([(b"a", b"1")] * 250), "multipart/form-data; boundary=XyZ"),
])
def test_parse_multipart_refuses_malformed_bodies(body: bytes, content_type: str) -> None:
    with pytest.raises(BodyError) as caught:
        parse_multipart(body, content_type)
    assert caught.value.status == 400


def test_a_multipart_body_that_is_not_utf8_is_a_400_not_a_mangled_name(client: FlaskClient, db: Database) -> None:
    body = _multipart([(b"first_name", b"Zo\xeb"), (b"email", b"zoe@example.de")])
    response = client.post("/api/leads", data=body, content_type="multipart/form-data; boundary=XyZ")
    assert response.status_code == 400
    assert counts(db)["inquiries"] == 0


@pytest.mark.parametrize(("field", "value", "message"), [
    ("first_name", "a" * 101, "Must be at most 100 characters."),
    ("nationality", "x" * 101, "Must be at most 100 characters."),
    ("country_of_residence", "x" * 101, "Must be at most 100 characters."),
    ("citizenships", ["x" * 101], "Item 1: Must be at most 100 characters."),
    ("citizenships", ["FR"] * 6, "Must have at most 5 items."),
])
def test_too_long_values_get_a_length_message(client: FlaskClient, db: Database, field: str, value: object,
                                              message: str) -> None:
    # A string's limit is about its characters, never "Value should have at most 100 items".
    response = post_json(client, lead_payload(**{field: value}))
    assert response.status_code == 422
    assert response.get_json()["errors"][field] == [message]
    assert counts(db)["inquiries"] == 0
