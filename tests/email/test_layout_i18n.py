"""Every word the email layout shows a lead goes through the translator, and each has its French in the email
catalogue (crm/data/i18n/email.fr.yaml) like the other texts: the employer's footer sentence was written in
layout.j2 itself, English and French side by side, out of reach of the catalogue. Fails without the fix."""

from __future__ import annotations

import re
from collections.abc import Iterator

from jinja2 import Environment, nodes

from crm.i18n import _catalog, translate
from crm.sequences.rendering import TEMPLATE_DIR

LAYOUT = TEMPLATE_DIR / "layout.j2"
# A phrase: two words with a space between them (template names, "en", "fr" and such are single words).
_PHRASE = re.compile(r"[^\W\d_]{2,}\s+[^\W\d_]{2,}")
_TAG = re.compile(r"<[^>]*(?:>|$)|^[^<]*>")


def _parse() -> nodes.Template:
    return Environment().parse(LAYOUT.read_text(encoding="utf-8"))


def _translated(tree: nodes.Template) -> Iterator[nodes.Call]:
    for call in tree.find_all(nodes.Call):
        if isinstance(call.node, nodes.Name) and call.node.name == "t":
            yield call


def _keys(tree: nodes.Template) -> list[str]:
    return [call.args[0].value for call in _translated(tree)
            if call.args and isinstance(call.args[0], nodes.Const) and isinstance(call.args[0].value, str)]


def test_the_layout_writes_no_phrase_outside_the_translator() -> None:
    tree = _parse()
    keys = {id(call.args[0]) for call in _translated(tree) if call.args}
    literals = [const.value for const in tree.find_all(nodes.Const)
                if isinstance(const.value, str) and id(const) not in keys and _PHRASE.search(const.value)]
    assert not literals, literals
    shown = [data.data for data in tree.find_all(nodes.TemplateData) if _PHRASE.search(_TAG.sub(" ", data.data))]
    assert not shown, shown


def test_every_phrase_of_the_layout_has_its_french() -> None:
    keys = _keys(_parse())
    assert "You receive this email because you asked us about hiring a foreign worker." in keys
    french = _catalog("fr")
    missing = [key for key in keys if key not in french or translate(key, "fr") == key]
    assert not missing, missing
