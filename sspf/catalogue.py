"""Coded lists and rules that follow the law and local practice: configuration, not code.

The defaults ship in ``sspf/data/catalogue.json``; a municipality points ``SSPF_CATALOGUE_FILE``
at its own copy. The legal bases in particular change with the law, so they must never be
hard-coded in views or rules: every code the database holds is looked up here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import get_locale

LISTS = ("information_categories", "concern_categories", "risk_factors", "protective_factors", "consent_methods",
         "contact_types", "contact_parties", "closure_reasons", "legal_bases")


class CatalogueError(ValueError):
    """The catalogue file is malformed; the message says where."""


@dataclass(frozen=True)
class Catalogue:
    data: dict[str, Any]

    def entries(self, name: str) -> list[dict[str, Any]]:
        return list(self.data[name])

    @cached_property
    def _by_code(self) -> dict[str, dict[str, dict[str, Any]]]:
        """Each list's entries by code, built once per process: a case page looks up hundreds of labels."""
        return {name: {e["code"]: e for e in entries} for name, entries in self.data.items()
                if name in LISTS}

    @cached_property
    def _codes(self) -> dict[str, frozenset[str]]:
        return {name: frozenset(by_code) for name, by_code in self._by_code.items()}

    def codes(self, name: str) -> frozenset[str]:
        if name in self._codes:
            return self._codes[name]
        return frozenset(entry["code"] for entry in self.data[name])

    def entry(self, name: str, code: str) -> dict[str, Any] | None:
        if name in self._by_code:
            return self._by_code[name].get(code)
        return next((e for e in self.data[name] if e["code"] == code), None)

    def label(self, name: str, code: str) -> str:
        entry = self.entry(name, code)
        if entry is None:
            return code
        locale = get_locale()
        return entry.get(locale.language if locale else "sv") or entry["sv"]

    def labels(self, name: str) -> dict[str, str]:
        """Every label of list ``name`` in the current language, by code: for pages that show many."""
        locale = get_locale()
        lang = locale.language if locale else "sv"
        return {code: entry.get(lang) or entry["sv"] for code, entry in self._by_code[name].items()}

    def choices(self, name: str) -> list[tuple[str, str]]:
        return [(entry["code"], self.label(name, entry["code"])) for entry in self.data[name]]

    @property
    def age_min(self) -> int:
        return int(self.data["age_band"]["min"])

    @property
    def age_max(self) -> int:
        return int(self.data["age_band"]["max"])

    def consent_rule(self, name: str) -> int:
        return int(self.data["consent"][name])

    def category_of_agency_kind(self, kind: str) -> str:
        return self.data["agency_category"].get(str(kind), "basic")

    @property
    def emergency_access_hours(self) -> int:
        return int(self.data["emergency_access_hours"])


def load(path: str | Path | None = None) -> Catalogue:
    if path:
        text = Path(path).read_text(encoding="utf-8")
    else:
        text = resources.files("sspf").joinpath("data/catalogue.json").read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CatalogueError(f"catalogue is not valid JSON: {exc}") from None
    for name in LISTS:
        entries = data.get(name)
        if not isinstance(entries, list) or not entries:
            raise CatalogueError(f"catalogue: '{name}' must be a non-empty list")
        seen = set()
        for entry in entries:
            if not isinstance(entry, dict) or not entry.get("code") or not entry.get("sv"):
                raise CatalogueError(f"catalogue: every entry of '{name}' needs a 'code' and a Swedish 'sv' label")
            if entry["code"] in seen:
                raise CatalogueError(f"catalogue: '{name}' lists code {entry['code']!r} twice")
            seen.add(entry["code"])
    for key in ("age_band", "consent", "agency_category", "emergency_access_hours"):
        if key not in data:
            raise CatalogueError(f"catalogue: '{key}' is missing")
    return Catalogue(data)


def init_app(app) -> None:
    app.extensions["sspf_catalogue"] = load(app.config.get("SSPF_CATALOGUE_FILE"))


def catalogue() -> Catalogue:
    return current_app.extensions["sspf_catalogue"]
