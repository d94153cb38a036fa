"""`sspf seed-demo`: a believable municipality, loaded once."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from sspf.auth.models import User
from sspf.cases.models import Case, CaseStatus
from sspf.extensions import db
from tests.conftest import build_app, migrate_fresh


def test_seed_demo_loads_once_and_users_can_log_in(tmp_path):
    app = build_app(f"sqlite:///{tmp_path / 'demo.db'}", tmp_path)
    migrate_fresh(app)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo", "--password", "ett demo lösenord 2026"])
    assert first.exit_code == 0, first.output
    assert "skola.orminge" in first.output and "ett demo lösenord 2026" in first.output
    again = runner.invoke(args=["seed-demo", "--if-empty"])
    assert again.exit_code == 0 and "not loaded again" in again.output
    refused = runner.invoke(args=["seed-demo"])
    assert refused.exit_code != 0
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 24
        statuses = sorted(db.session.scalars(select(Case.status)))
        assert statuses.count(CaseStatus.ACTIVE) == 2 and statuses.count(CaseStatus.SIGNAL) == 2
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]
    response = client.post("/login", data={"username": "samordnare.orminge", "password": "ett demo lösenord 2026",
                                           "csrf_token": token})
    assert response.status_code == 302
    assert "ORM-" in client.get("/cases/").get_data(as_text=True)
    meetings = client.get("/meetings").get_data(as_text=True)
    assert meetings.count("Kommunhuset, rum 2 (demo)") >= 8  # a weekly series, eight weeks ahead
    first = re.search(r'href="(/meetings/[0-9a-f-]{36})"', meetings).group(1)
    agenda = client.get(first).get_data(as_text=True)
    assert "Ny aktualisering att bedöma" in agenda  # the demo's new signal is on the first agenda
