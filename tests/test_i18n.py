"""Template translations and date formatting, cached per request and per process (``sspf.i18n``)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask import render_template_string
from flask_babel import force_locale, refresh

from sspf.catalogue import catalogue


def test_template_strings_follow_the_locale_even_when_it_changes_within_a_request(app):
    with app.test_request_context("/"):
        assert render_template_string('{{ _("Logga ut") }}') == "Logga ut"
        with force_locale("en"):
            assert render_template_string('{{ _("Logga ut") }}') == "Log out"
        assert render_template_string('{{ _("Logga ut") }}') == "Logga ut"
    with app.test_request_context("/"):
        from flask import session

        session["lang"] = "en"
        assert render_template_string('{{ _("Logga ut") }}') == "Log out"
        session["lang"] = "sv"
        refresh()  # Flask-Babel's way to switch language mid-request
        assert render_template_string('{{ _("Logga ut") }}') == "Logga ut"


def test_the_date_filter_formats_each_locale_and_value_correctly_from_its_cache(app):
    with app.test_request_context("/"):
        sv = [render_template_string("{{ d|date }}", d=date(2026, 11, 2)) for _ in range(2)]
        with force_locale("en"):
            en = render_template_string("{{ d|date }}", d=date(2026, 11, 2))
            long_en = render_template_string("{{ d|date('long') }}", d=date(2026, 11, 2))
        assert sv == ["2026-11-02", "2026-11-02"]
        assert en == "2026-11-02" and long_en == "November 2, 2026"  # short is ISO in English too
        assert render_template_string("{{ d|date }}", d=date(2026, 11, 3)) == "2026-11-03"
        assert render_template_string("{{ d|date }}", d=None) == ""
        # A datetime shows as its date in Stockholm: after 23:00 UTC in winter (22:00 in summer) it is the next day.
        assert render_template_string("{{ d|date }}", d=datetime(2026, 11, 2, 23, 30, tzinfo=UTC)) == "2026-11-03"
        assert render_template_string("{{ d|date }}", d=datetime(2026, 11, 2, 22, 30, tzinfo=UTC)) == "2026-11-02"
        assert render_template_string("{{ d|date }}", d=datetime(2026, 7, 2, 22, 30, tzinfo=UTC)) == "2026-07-03"
        with force_locale("en"):
            assert render_template_string("{{ d|date }}", d=datetime(2026, 11, 2, 23, 30, tzinfo=UTC)) == "2026-11-03"


def test_catalogue_labels_and_codes_come_from_the_catalogue_in_the_current_language(app):
    with app.test_request_context("/"):
        cat = catalogue()
        for name in ("contact_types", "contact_parties", "legal_bases"):
            entries = cat.entries(name)
            assert cat.codes(name) == frozenset(e["code"] for e in entries)
            assert cat.labels(name) == {e["code"]: e["sv"] for e in entries}
            assert all(cat.label(name, e["code"]) == e["sv"] for e in entries)
            assert cat.entry(name, entries[0]["code"]) == entries[0]
        assert cat.label("contact_types", "no-such-code") == "no-such-code"
        assert cat.entry("contact_types", "no-such-code") is None
        with force_locale("en"):
            entry = cat.entries("contact_types")[0]
            assert cat.label("contact_types", entry["code"]) == (entry.get("en") or entry["sv"])
            assert cat.labels("contact_types")[entry["code"]] == (entry.get("en") or entry["sv"])


def test_english_dates_and_times_are_iso_as_in_swedish_and_in_swedish_time(app):
    """A Swedish municipality writes 2026-11-23 in English too: CLDR's English short forms read as US dates."""
    instant = datetime(2026, 11, 23, 3, 57, tzinfo=UTC)  # 04:57 in Stockholm (winter time)
    summer = datetime(2026, 7, 1, 22, 5, tzinfo=UTC)  # 00:05 the next day in Stockholm (summer time)
    template = "{{ d|date }}|{{ t|datetime }}|{{ n|datetime }}|{{ n|date }}"
    with app.test_request_context("/"):
        sv = render_template_string(template, d=date(2026, 11, 23), t=instant, n=summer)
        with force_locale("en"):
            en = render_template_string(template, d=date(2026, 11, 23), t=instant, n=summer)
            long_en = render_template_string("{{ t|datetime('long') }}", t=instant)
            assert render_template_string("{{ t|datetime }}", t=None) == ""
    assert sv == "2026-11-23|2026-11-23 04:57|2026-07-02 00:05|2026-07-02"  # Swedish as it always was
    assert en == sv
    assert "/" not in en and "AM" not in en and "PM" not in en
    assert "November 23, 2026" in long_en  # a named format keeps the language's own wording
