"""Every fixed text the workspace shows through t(...) has a French entry, so the French interface never
falls back to English for a string someone added without translating it."""

from __future__ import annotations

import re

import yaml

from crm.config import PROJECT_ROOT

# t("...") / tx("...") with a literal first argument, in the workspace's templates and code.
_CALL = re.compile(r"""\btx?\(\s*(?P<q>["'])(?P<text>(?:(?!(?P=q)).)+)(?P=q)\s*[,)]""")
_WORKSPACE_ERROR = re.compile(r"""WorkspaceError\(\s*(?P<q>["'])(?P<text>(?:(?!(?P=q)).)+)(?P=q)""")


def _sources() -> list[tuple[str, str]]:
    files = [*sorted((PROJECT_ROOT / "templates" / "web").glob("*.html")), PROJECT_ROOT / "templates" / "error.html",
             PROJECT_ROOT / "templates" / "layout.html",
             # crm/web/api.py is left out: the JSON API answers in English, like POST /api/leads.
             *sorted(path for path in (PROJECT_ROOT / "crm" / "web").glob("*.py") if path.name != "api.py"),
             *sorted((PROJECT_ROOT / "crm" / "workspace").glob("*.py"))]
    return [(str(path.relative_to(PROJECT_ROOT)), path.read_text(encoding="utf-8")) for path in files]


def test_every_workspace_text_has_a_french_entry() -> None:
    catalogue: dict[str, str] = {}
    for path in sorted((PROJECT_ROOT / "crm" / "data" / "i18n").glob("*.fr.yaml")):  # merged as crm.i18n does
        catalogue.update(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    texts = {(name, match["text"]) for name, source in _sources()
             for pattern in (_CALL, _WORKSPACE_ERROR) for match in pattern.finditer(source)
             if "{{" not in match["text"]}
    assert len(texts) > 100  # the scan finds the interface's texts (it is not silently matching nothing)
    missing = sorted(f"{name}: {text}" for name, text in texts
                     if text.encode().decode("unicode_escape") not in catalogue and text not in catalogue)
    assert not missing, "\n".join(missing)


def test_no_text_is_translated_two_ways_across_the_french_catalogues() -> None:
    # crm.i18n merges the catalogues in file order: a second, different entry would silently win.
    seen: dict[str, tuple[str, str]] = {}
    conflicts = []
    for path in sorted((PROJECT_ROOT / "crm" / "data" / "i18n").glob("*.fr.yaml")):
        for text, french in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).items():
            if text in seen and seen[text][1] != french:
                conflicts.append(f"{text!r}: {seen[text][0]} {seen[text][1]!r} / {path.name} {french!r}")
            seen.setdefault(text, (path.name, french))
    assert not conflicts, "\n".join(conflicts)
