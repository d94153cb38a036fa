"""Fill a PostgreSQL database with a municipality's worth of cases, for ``bench/bench_cases.py``.

The database (``--database``, default ``sspf_bench_cases``) is created, migrated with
``sspf db upgrade`` and seeded with ``sspf seed-demo`` exactly as the baseline benchmark does,
then filled with (by default) 50,000 youths, 60,000 cases and 1,000,000 contacts spread over the
four demo districts, with signals, triages and consents (with their scopes) where the case's
status calls for them. Statuses follow a case's age: recent cases are mostly signals, triaged or
active; old ones mostly closed; about one youth in five has an earlier, closed case. A few active
cases in every district carry thousands of contacts (the "heavy" cases a case page benchmark
wants); the rest of the contacts are spread with a long tail.

Encrypted columns hold real ciphertexts under the app's keyring: the values are encrypted with
``sspf.crypto.encrypt`` for their (table, column, row id), exactly as the ORM flush hook would,
and written with Core ``insert()`` of :class:`sspf.crypto.Ciphertext` wrappers (so the columns'
guard against plaintext stays in the path); the personnummer blind index is computed with the
model's own normalizer and purpose. Nothing is written to the audit trail: this is bulk data as
an import would leave it, not a history of reads.

The keyring, the other secrets and the demo password live in ``bench/out/cases/instance`` (ignored
by git); ``bench/out/cases/generated.json`` records what was generated. Running the generator again
finds both and does nothing; ``--force`` drops the database and the instance folder and rebuilds.

    .venv/bin/python bench/gen_cases.py [--force] [--youths 50000 --cases 60000 --contacts 1000000]

The random choices are seeded (``--seed``), so a rebuild gives the same data up to ids and
ciphertexts. Target: under ten minutes on two cores.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import secrets
import shutil
import sys
import time
import uuid
from bisect import bisect
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _harness as h  # noqa: E402

from sspf.cases.personnummer import make as make_personnummer  # noqa: E402

DEFAULT_DATABASE = "sspf_bench_cases"
STATE_DIR = h.BENCH_DIR / "out" / "cases"
MARKER = "generated.json"
FORMAT = 1  # bump when the generated data changes shape, so an old database is rebuilt
BATCH = 10_000

#: District code -> share of the youths (Orminge and Fisksätra are the larger areas).
DISTRICT_WEIGHTS = {"ORM": 0.30, "FIS": 0.25, "BOO": 0.25, "SAL": 0.20}
#: Username prefix of the demo users (sspf.demo.AGENCIES) -> share of the registered cases.
REGISTERING = {"skola": 0.45, "soc": 0.25, "polis": 0.20, "fritid": 0.10}
HEAVY_PER_DISTRICT = 3
HEAVY_CONTACTS = 2_500

FIRST_NAMES = ("Alva", "Elsa", "Maja", "Wilma", "Ella", "Saga", "Alma", "Ebba", "Olivia", "Nora", "Leah", "Astrid",
               "Selma", "Amira", "Hanna", "Lova", "Freja", "Sara", "Noah", "William", "Hugo", "Liam", "Lucas",
               "Oscar", "Elias", "Adam", "Vincent", "Alexander", "Leo", "Ali", "Mohammed", "Isak", "Theo", "Viggo",
               "Gustav", "Filip", "Omar", "Axel", "Ludvig", "Yusuf")
LAST_NAMES = ("Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson", "Persson",
              "Svensson", "Gustafsson", "Pettersson", "Jonsson", "Jansson", "Hansson", "Bengtsson", "Lindberg",
              "Lindqvist", "Berg", "Holm", "Ahmed", "Hassan", "Ali", "Mohamed", "Nguyen", "Kaya", "Nowak",
              "Virtanen", "Korhonen", "Lindström", "Sandberg")
STREETS = ("Mensättravägen", "Kanholmsvägen", "Fisksätravägen", "Båthöjden", "Boovägen", "Saltsjöbadsvägen",
           "Ormingeringen", "Edövägen", "Värmdövägen", "Tättingvägen", "Skogsbacken", "Ängsvägen")
SIGNAL_NOTES = ("Hög frånvaro sedan höstlovet", "Syns ofta sent ute med äldre kamrater", "Oro från fritidsgården",
                "Hemmasittare sedan i våras", "Misstänkt inblandning i stöld", "Konflikt hemma enligt mentor",
                "Uppgifter om droger i umgänget", "Har slutat på fotbollen")
CONTACT_NOTES = ("Pratade med mamma om skolgången", "Hembesök, bra samtal", "Kom inte till mötet",
                 "Följde med till fritidsgården", "Telefonsamtal med pappa", "Uppföljning med mentor",
                 "Samtal om kamratrelationer", "Planerade sommarjobb", "Gick igenom veckoschemat",
                 "Bokade nytt möte", "Kort avstämning i korridoren", "Samtal med vårdnadshavare och skola")
TRIAGE_NOTES = ("Uppfyller kriterierna", "Flera riskfaktorer, tas upp på nästa möte", "Skyddsfaktorer finns")
REPORTERS = ("rektor", "mentor", "skolkurator", "fältassistent", "polisen i området")
GUARDIANS = ("Förälder", "Vårdnadshavare")


class GeneratorError(h.BenchError):
    pass


# --------------------------------------------------------------------------------------------
# State: where the instance and the marker live, and whether the database is already filled


@dataclass
class Spec:
    database: str
    youths: int
    cases: int
    contacts: int
    seed: int

    def as_dict(self) -> dict:
        return {"format": FORMAT, "database": self.database, "youths": self.youths, "cases": self.cases,
                "contacts": self.contacts, "seed": self.seed}


@dataclass
class Generated:
    """What bench_cases.py needs: the environment of the app and the cases worth measuring."""

    spec: dict
    state_dir: Path
    password: str
    db_url: str
    heavy_cases: dict[str, list[str]] = field(default_factory=dict)

    @property
    def instance(self) -> Path:
        return self.state_dir / "instance"

    def env(self, **extra: str) -> dict[str, str]:
        return h.sspf_env(self.db_url, self.instance, demo_password=self.password, **extra)


def state_dir_for(database: str) -> Path:
    return STATE_DIR if database == DEFAULT_DATABASE else STATE_DIR.parent / f"cases-{database}"


def demo_password(instance: Path) -> str:
    """The demo password, kept (mode 0600) where ``sspf seed-demo`` keeps it: ``<instance>/demo-password``."""
    path = instance / "demo-password"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(12))
    return path.read_text().strip()


def _row_counts(db_url: str) -> dict[str, int] | None:
    """Row counts of the generated tables, or None if the database or its tables are missing."""
    import psycopg

    conninfo = db_url.replace("postgresql+psycopg://", "postgresql://", 1)
    try:
        with psycopg.connect(conninfo, connect_timeout=5) as conn:
            return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # noqa: S608 (fixed names)
                    for t in ("youths", "cases", "contacts")}
    except psycopg.Error:
        return None


def load_generated(database: str = DEFAULT_DATABASE, *, check_rows: bool = True) -> Generated | None:
    """The marker of a finished generation of ``database``, if its rows are still there."""
    state = state_dir_for(database)
    marker = state / MARKER
    if not marker.exists():
        return None
    data = json.loads(marker.read_text())
    gen = Generated(spec=data["spec"], state_dir=state, password=demo_password(state / "instance"),
                    db_url=h.database_url(database), heavy_cases=data.get("heavy_cases", {}))
    if check_rows:
        counts, expected = _row_counts(gen.db_url), data["row_counts"]
        if counts is None or counts["youths"] != expected["youths"] or counts["cases"] != expected["cases"] \
                or counts["contacts"] < expected["contacts"]:  # benchmarks add contacts; fewer means damage
            return None
    return gen


# --------------------------------------------------------------------------------------------
# The data


def at_time(day: date, rng: random.Random) -> datetime:
    """A working-hours instant on ``day`` (UTC)."""
    return datetime(day.year, day.month, day.day, 7, tzinfo=UTC) + timedelta(seconds=rng.randrange(9 * 3600))


@dataclass
class CaseRow:
    id: uuid.UUID
    district: str
    status: str
    registering: str  # username prefix of the registering agency
    created: date
    closed: date | None
    consent_prefixes: tuple[str, ...] = ()  #: agencies (username prefixes) with a valid consent
    youth_id: uuid.UUID | None = None


class Generator:
    def __init__(self, spec: Spec, conn, keyring, today: date) -> None:
        from sqlalchemy import select

        from sspf.auth.models import User
        from sspf.catalogue import catalogue
        from sspf.demo import slug
        from sspf.org.models import Agency, District

        self.spec, self.conn, self.keyring, self.today = spec, conn, keyring, today
        self.rng = random.Random(spec.seed)
        self.cat = catalogue()
        self.districts = {d.code: d for d in conn.execute(select(District.code, District.id, District.name)).all()}
        missing = set(DISTRICT_WEIGHTS) - set(self.districts)
        if missing:
            raise GeneratorError(f"the demo districts {sorted(missing)} are missing: was seed-demo run?")
        self.users: dict[tuple[str, str], tuple[uuid.UUID, int]] = {}  # (prefix, district) -> (user id, agency)
        agency_kind = dict(conn.execute(select(Agency.id, Agency.kind)).all())
        self.agency_category: dict[int, str] = {a: self.cat.category_of_agency_kind(k) for a, k in agency_kind.items()}
        for code, district in self.districts.items():
            for prefix in (*REGISTERING, "samordnare"):
                row = conn.execute(select(User.id, User.agency_id).where(
                    User.username == f"{prefix}.{slug(district.name)}")).one_or_none()
                if row is None:
                    raise GeneratorError(f"demo user {prefix}.{slug(district.name)} is missing")
                self.users[(prefix, code)] = (row.id, row.agency_id)
        self.cases: list[CaseRow] = []
        self.timings: dict[str, tuple[int, float]] = {}

    # -- helpers ---------------------------------------------------------------------------

    def encrypt(self, table: str, column: str, row_id: uuid.UUID, value: str | None):
        from sspf.crypto import Ciphertext, encrypt

        if value is None:
            return None
        return Ciphertext(encrypt(self.keyring, table, column, row_id, value.encode("utf-8")))

    def insert(self, table, rows: list[dict]) -> None:
        from sqlalchemy import insert

        if rows:
            self.conn.execute(insert(table), rows)
            self.conn.commit()

    def stream(self, label: str, table, total: int, make_rows) -> None:
        """Insert the rows ``make_rows()`` yields in batches, printing progress and rows/s."""
        started = time.perf_counter()
        batch: list[dict] = []
        done = 0
        next_report = min(total, 100_000)
        for row in make_rows():
            batch.append(row)
            if len(batch) >= BATCH:
                self.insert(table, batch)
                done += len(batch)
                batch = []
                if done >= next_report:
                    rate = done / (time.perf_counter() - started)
                    print(f"    {label}: {done:,}/{total:,} ({rate:,.0f} rows/s)", flush=True)
                    next_report += 100_000 if total >= 200_000 else total
        self.insert(table, batch)
        done += len(batch)
        elapsed = time.perf_counter() - started
        self.timings[label] = (done, elapsed)
        print(f"  {label}: {done:,} rows in {elapsed:.1f} s ({done / max(elapsed, 1e-9):,.0f} rows/s)", flush=True)

    def pick(self, weights: dict[str, float]) -> str:
        return self.rng.choices(list(weights), weights=list(weights.values()))[0]

    # -- youths and cases ----------------------------------------------------------------------

    def plan_cases(self) -> list[tuple[int, list[CaseRow]]]:
        """Per youth: (youth index, its cases oldest first). The last case of a youth may be open."""
        rng, spec, today = self.rng, self.spec, self.today
        second = min(spec.cases - spec.youths, spec.youths)
        if spec.cases < spec.youths:
            raise GeneratorError("need at least one case per youth")
        repeaters = set(rng.sample(range(spec.youths), second))
        plan = []
        for index in range(spec.youths):
            district = self.pick(DISTRICT_WEIGHTS)
            # Days since the youth's latest case was registered: up to four years, more of them recent.
            latest_age = int(4 * 365 * rng.random() ** 2)
            cases = []
            if index in repeaters:
                first_created = today - timedelta(days=latest_age + rng.randrange(200, 900))
                closed = first_created + timedelta(days=rng.randrange(30, 180))
                cases.append(CaseRow(uuid.uuid4(), district, "closed", self.pick(REGISTERING), first_created, closed))
            created = today - timedelta(days=latest_age)
            status = self.status_for(latest_age)
            closed = None
            if status == "closed":
                closed = min(today, created + timedelta(days=rng.randrange(20, 400)))
            cases.append(CaseRow(uuid.uuid4(), district, status, self.pick(REGISTERING), created, closed))
            plan.append((index, cases))
        return plan

    def status_for(self, age_days: int) -> str:
        if age_days > 540:
            table = {"closed": 0.88, "active": 0.12}
        elif age_days > 180:
            table = {"closed": 0.45, "active": 0.45, "triaged": 0.05, "signal": 0.05}
        else:
            table = {"signal": 0.20, "triaged": 0.15, "active": 0.55, "closed": 0.10}
        return self.pick(table)

    def youths_and_cases(self) -> None:
        from sqlalchemy import select
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        from sspf.cases.models import Case, CaseCounter, Youth
        from sspf.crypto.blind_index import compute_blind_index

        rng, today = self.rng, self.today
        plan = self.plan_cases()
        bidx_type = Youth.__table__.c.personnummer_bidx.type
        purpose = bidx_type.purpose_for(Youth.__tablename__)
        numbers: set[str] = set()
        refs: set[str] = set()

        def youth_rows():
            for _index, cases in plan:
                yid = uuid.uuid4()
                age = rng.randint(12, 18)
                born = today - timedelta(days=age * 365 + rng.randrange(30, 330))
                while True:
                    pnr = make_personnummer(born, rng.randrange(1000)).canonical
                    if pnr not in numbers:
                        numbers.add(pnr)
                        break
                while (ref := "Y" + secrets.token_hex(5).upper()) in refs:
                    pass
                refs.add(ref)
                sex = "female" if int(pnr[10]) % 2 == 0 else "male"
                last = rng.choice(LAST_NAMES)
                guardian2 = rng.random() < 0.6
                created = at_time(cases[0].created, rng)
                yield {
                    "id": yid, "ref": ref, "sex": sex, "birth_year": born.year,
                    "district_id": self.districts[cases[-1].district].id,
                    "name": self.encrypt("youths", "name", yid, f"{rng.choice(FIRST_NAMES)} {last}"),
                    "personnummer": self.encrypt("youths", "personnummer", yid, pnr),
                    "personnummer_bidx": compute_blind_index(self.keyring, purpose, bidx_type.normalizer(pnr)),
                    "address": self.encrypt("youths", "address", yid, f"{rng.choice(STREETS)} {rng.randint(1, 120)}")
                    if rng.random() < 0.85 else None,
                    "guardian1_name": self.encrypt("youths", "guardian1_name", yid,
                                                   f"{rng.choice(FIRST_NAMES)} {last}"),
                    "guardian1_phone": self.encrypt("youths", "guardian1_phone", yid,
                                                    f"07{rng.randint(0, 9)}-{rng.randint(1000000, 9999999)}"),
                    "guardian2_name": self.encrypt("youths", "guardian2_name", yid, f"{rng.choice(GUARDIANS)} {last}")
                    if guardian2 else None,
                    "guardian2_phone": self.encrypt("youths", "guardian2_phone", yid,
                                                    f"07{rng.randint(0, 9)}-{rng.randint(1000000, 9999999)}")
                    if guardian2 else None,
                    "protected_identity": rng.random() < 0.005, "guardian_protected": rng.random() < 0.01,
                    "created_at": created, "updated_at": created,
                }
                for case in cases:
                    case.youth_id = yid

        self.stream("youths", Youth.__table__, len(plan), youth_rows)

        all_cases = sorted((c for _i, cs in plan for c in cs), key=lambda c: c.created)
        self.cases = all_cases
        # Number on from the demo's own cases (seed-demo registers a few through the services).
        code_of = {d.id: code for code, d in self.districts.items()}
        counters: Counter[tuple[str, int]] = Counter({
            (code_of[row.district_id], row.year): row.last
            for row in self.conn.execute(select(CaseCounter.district_id, CaseCounter.year, CaseCounter.last))})

        def case_rows():
            for case in all_cases:
                counters[(case.district, case.created.year)] += 1
                number = counters[(case.district, case.created.year)]
                user_id, agency_id = self.users[(case.registering, case.district)]
                coordinator = self.users[("samordnare", case.district)][0]
                created = at_time(case.created, rng)
                triaged = closed_at = None
                reason = None
                if case.status != "signal":
                    triaged = created + timedelta(days=rng.randrange(2, 21), hours=rng.randrange(8))
                if case.closed is not None:
                    closed_at = max(at_time(case.closed, rng), triaged or created)
                    reason = rng.choice(("goals_met", "goals_met", "consent_withdrawn", "moved", "aged_out",
                                         "social_services_measure"))
                yield {
                    "id": case.id, "code": f"{case.district}-{case.created.year}-{number:03d}",
                    "youth_id": case.youth_id, "district_id": self.districts[case.district].id,
                    "status": case.status, "registering_agency_id": agency_id, "created_by_id": user_id,
                    "coordinator_id": coordinator if triaged else None, "triaged_at": triaged,
                    "closed_at": closed_at, "closure_reason": reason,
                    "flagged_for_meeting": case.status == "active" and rng.random() < 0.03,
                    "created_at": created, "updated_at": closed_at or triaged or created,
                }

        self.stream("cases", Case.__table__, len(all_cases), case_rows)
        upsert = pg_insert(CaseCounter.__table__)
        self.conn.execute(upsert.on_conflict_do_update(index_elements=["district_id", "year"],
                                                       set_={"last": upsert.excluded.last}),
                          [{"district_id": self.districts[d].id, "year": y, "last": n}
                           for (d, y), n in counters.items()])
        self.conn.commit()

    # -- signals, triages, consents --------------------------------------------------------------

    def signals_triages_consents(self) -> None:
        from sspf.cases.models import Signal, Triage
        from sspf.consent.models import Consent, ConsentScope

        rng, today = self.rng, self.today
        concerns = sorted(self.cat.codes("concern_categories"))
        risks = sorted(self.cat.codes("risk_factors"))
        protective = sorted(self.cat.codes("protective_factors"))
        methods = sorted(self.cat.codes("consent_methods"))
        field_prefixes = list(REGISTERING)

        def signal_rows():
            for case in self.cases:
                extra = rng.choices((0, 1, 2, 3), weights=(85, 10, 4, 1))[0]
                for n in range(1 + extra):
                    prefix = case.registering if n == 0 else rng.choice(field_prefixes)
                    user_id, agency_id = self.users[(prefix, case.district)]
                    end = case.closed or today
                    raised = case.created + timedelta(days=0 if n == 0 else rng.randrange(max(1, (end - case.created)
                                                                                             .days)))
                    sid = uuid.uuid4()
                    report = rng.random() < 0.3
                    yield {
                        "id": sid, "case_id": case.id, "raised_on": raised, "raised_by_id": user_id,
                        "agency_id": agency_id, "categories": sorted(rng.sample(concerns, rng.randint(1, 3))),
                        "note": self.encrypt("signals", "note", sid, rng.choice(SIGNAL_NOTES))
                        if rng.random() < 0.7 else None,
                        "report_made": report, "report_made_on": raised if report else None,
                        "report_made_by": self.encrypt("signals", "report_made_by", sid, rng.choice(REPORTERS))
                        if report else None,
                        "created_at": at_time(raised, rng),
                    }

        self.stream("signals", Signal.__table__, int(len(self.cases) * 1.21), signal_rows)

        triaged = [c for c in self.cases if c.status != "signal"]

        def triage_rows():
            for case in triaged:
                tid = uuid.uuid4()
                yield {
                    "id": tid, "case_id": case.id, "decided_by_id": self.users[("samordnare", case.district)][0],
                    "decided_at": at_time(min(today, case.created + timedelta(days=rng.randrange(2, 21))), rng),
                    "eligible": True, "risk_factors": sorted(rng.sample(risks, rng.randint(1, 3))),
                    "protective_factors": sorted(rng.sample(protective, rng.randint(0, 2))),
                    "note": self.encrypt("triages", "note", tid, rng.choice(TRIAGE_NOTES))
                    if rng.random() < 0.5 else None,
                }

        self.stream("triages", Triage.__table__, len(triaged), triage_rows)

        # Active cases have a consent (a few of them expired or about to); closed cases that got
        # that far have one too, some withdrawn. Triaged cases wait for theirs.
        consented = [c for c in self.cases if c.status == "active" or (c.status == "closed" and rng.random() < 0.6)]
        scopes: list[dict] = []

        def consent_rows():
            for case in consented:
                cid = uuid.uuid4()
                coordinator = self.users[("samordnare", case.district)][0]
                signed = min(today, case.created + timedelta(days=rng.randrange(7, 40)))
                if case.status == "active":
                    # renewed yearly: the current consent was signed within the last year
                    signed = max(signed, today - timedelta(days=rng.randrange(0, 330)))
                valid_until = min(signed + timedelta(days=rng.randrange(120, 366)), signed + timedelta(days=365))
                if case.status == "active" and rng.random() < 0.9:
                    valid_until = max(valid_until, today + timedelta(days=rng.randrange(1, 60)))
                    valid_until = min(valid_until, signed + timedelta(days=365))
                withdrawn = case.status == "closed" and rng.random() < 0.2
                partners = [p for p in field_prefixes if p != case.registering]
                chosen = tuple(sorted(rng.sample(partners, rng.randint(1, len(partners)))))
                case.consent_prefixes = chosen if valid_until >= today and not withdrawn else ()
                for prefix in (case.registering, *chosen):
                    agency_id = self.users[(prefix, case.district)][1]
                    categories = {self.agency_category[agency_id]}
                    if prefix != case.registering and rng.random() < 0.5:
                        categories.add(self.agency_category[self.users[(case.registering, case.district)][1]])
                    scopes.extend({"consent_id": cid, "agency_id": agency_id, "category": c} for c in categories)
                yield {
                    "id": cid, "case_id": case.id, "signed_on": signed, "valid_until": valid_until,
                    "guardian1_signed": True, "guardian2_signed": rng.random() < 0.5, "youth_signed": True,
                    "method": rng.choice(methods), "scanned_form": None, "scanned_form_type": None,
                    "recorded_by_id": coordinator, "recorded_at": at_time(signed, rng),
                    "withdrawn_at": at_time(case.closed, rng) if withdrawn and case.closed else None,
                    "withdrawn_by": rng.choice(("guardian1", "guardian2", "youth")) if withdrawn else None,
                    "withdrawal_recorded_by_id": coordinator if withdrawn else None,
                }

        self.stream("consents", Consent.__table__, len(consented), consent_rows)
        self.stream("consent scopes", ConsentScope.__table__, len(scopes), lambda: iter(scopes))

    # -- contacts --------------------------------------------------------------------------------

    def contact_plan(self) -> tuple[list[int], dict[str, list[str]]]:
        """How many contacts each case gets (summing to the target) and the heavy cases by district."""
        rng, total = self.rng, self.spec.contacts
        factor = {"signal": 0.15, "triaged": 0.5, "active": 2.0, "closed": 1.0}
        heavy: dict[str, list[str]] = defaultdict(list)
        counts = [0] * len(self.cases)
        recent_active = [i for i, c in enumerate(self.cases) if c.status == "active"
                         and (self.today - c.created).days > 60]
        rng.shuffle(recent_active)
        heavy_total = 0
        for i in recent_active:
            case = self.cases[i]
            if len(heavy[case.district]) < HEAVY_PER_DISTRICT and heavy_total + HEAVY_CONTACTS <= total // 10:
                heavy[case.district].append(str(case.id))
                counts[i] = HEAVY_CONTACTS
                heavy_total += HEAVY_CONTACTS
        weights = [0.0 if counts[i] else factor[c.status] * rng.lognormvariate(0, 1.0) *
                   math.sqrt(max(7, ((c.closed or self.today) - c.created).days))
                   for i, c in enumerate(self.cases)]
        rest = total - heavy_total
        scale = rest / sum(weights)
        for i, w in enumerate(weights):
            if w:
                counts[i] = int(w * scale)
        short = total - sum(counts)  # hand out the rounding remainder, heaviest weights first
        for i in sorted(range(len(weights)), key=weights.__getitem__, reverse=True)[:short]:
            counts[i] += 1
        return counts, dict(heavy)

    def contacts(self) -> dict[str, list[str]]:
        from sspf.contacts.models import Contact

        rng, today = self.rng, self.today
        counts, heavy = self.contact_plan()
        types = sorted(self.cat.codes("contact_types"))
        parties = sorted(self.cat.codes("contact_parties"))
        party_cum = list(accumulate((5, 3, 2, 1)))

        def contact_rows():
            for case, n in zip(self.cases, counts, strict=True):
                if not n:
                    continue
                end = case.closed or today
                span = max(1, (end - case.created).days)
                authors = [case.registering, "samordnare", *case.consent_prefixes]
                author_weights = [5, 2] + [2] * len(case.consent_prefixes)
                picked = rng.choices(authors, weights=author_weights, k=n)
                for prefix in picked:
                    user_id, agency_id = self.users[(prefix, case.district)]
                    cid = uuid.uuid4()
                    occurred = case.created + timedelta(days=rng.randrange(span + 1))
                    k = bisect(party_cum, rng.randrange(party_cum[-1])) + 1
                    yield {
                        "id": cid, "case_id": case.id, "author_id": user_id, "agency_id": agency_id,
                        "category": self.agency_category[agency_id], "occurred_on": min(occurred, today),
                        "type": rng.choice(types),
                        "duration_minutes": rng.choice((15, 20, 30, 45, 60, 90)) if rng.random() < 0.8 else None,
                        "parties": sorted(rng.sample(parties, min(k, len(parties)))),
                        "note": self.encrypt("contacts", "note", cid, rng.choice(CONTACT_NOTES))
                        if rng.random() < 0.6 else None,
                        "visibility": "consented" if rng.random() < 0.4 else "own_agency",
                        "created_at": at_time(min(occurred, today), rng),
                    }

        self.stream("contacts", Contact.__table__, self.spec.contacts, contact_rows)
        return heavy


# --------------------------------------------------------------------------------------------


def generate(spec: Spec, *, force: bool = False) -> Generated:
    """Generate ``spec`` unless a finished generation of it is already there; return its state."""
    state = state_dir_for(spec.database)
    existing = None if force else load_generated(spec.database)
    if existing is not None:
        if {k: existing.spec.get(k) for k in spec.as_dict()} == spec.as_dict():
            print(f"database {spec.database} already generated ({existing.spec['youths']:,} youths, "
                  f"{existing.spec['cases']:,} cases, {existing.spec['contacts']:,} contacts); skipping "
                  "(--force rebuilds it)", flush=True)
            return existing
        print("database was generated with other parameters; rebuilding", flush=True)
    started = time.perf_counter()
    if state.exists():
        shutil.rmtree(state)
    instance = state / "instance"
    instance.mkdir(parents=True, mode=0o700)
    password = demo_password(instance)
    print(f"creating database {spec.database}, migrating and seeding the demo ...", flush=True)
    db_url = h.reset_database(spec.database)
    env = h.sspf_env(db_url, instance, demo_password=password)
    h.prepare_sspf(env)

    # config.py reads the environment at import: set it before anything of sspf is imported.
    os.environ.update(env)
    from sspf import create_app
    from sspf.crypto import get_keyring
    from sspf.extensions import db

    app = create_app()
    with app.app_context():
        keyring = get_keyring()
        print(f"generating {spec.youths:,} youths, {spec.cases:,} cases, {spec.contacts:,} contacts "
              f"(seed {spec.seed}) ...", flush=True)
        with db.engine.connect() as conn:
            gen = Generator(spec, conn, keyring, date.today())
            gen.youths_and_cases()
            gen.signals_triages_consents()
            heavy = gen.contacts()
        db.engine.dispose()
    print("VACUUM ANALYZE ...", flush=True)
    t0 = time.perf_counter()
    _vacuum_analyze(db_url)
    print(f"  done in {time.perf_counter() - t0:.1f} s", flush=True)
    elapsed = time.perf_counter() - started
    rows = sum(n for n, _s in gen.timings.values())
    marker = {"spec": spec.as_dict(), "heavy_cases": heavy, "row_counts": _row_counts(db_url),
              "seconds": round(elapsed, 1), "rows": rows,
              "timings": {k: {"rows": n, "seconds": round(s, 1)} for k, (n, s) in gen.timings.items()},
              "generated_on": date.today().isoformat()}
    (state / MARKER).write_text(json.dumps(marker, indent=2) + "\n")
    print(f"generated {rows:,} rows in {elapsed:.0f} s ({rows / elapsed:,.0f} rows/s overall, migration, seeding "
          "and VACUUM included)", flush=True)
    result = load_generated(spec.database)
    if result is None:
        raise GeneratorError("the generated database does not hold the rows just generated")
    return result


def _vacuum_analyze(db_url: str) -> None:
    import psycopg

    with psycopg.connect(db_url.replace("postgresql+psycopg://", "postgresql://", 1), autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default=DEFAULT_DATABASE, help=f"database to fill (default {DEFAULT_DATABASE})")
    parser.add_argument("--youths", type=int, default=50_000)
    parser.add_argument("--cases", type=int, default=60_000)
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=20260101)
    parser.add_argument("--force", action="store_true", help="drop and rebuild even if already generated")
    args = parser.parse_args()
    spec = Spec(args.database, args.youths, args.cases, args.contacts, args.seed)
    load = h.busy_cores()
    print(f"{os.cpu_count()} CPUs; other load when starting: {load:.2f} busy cores", flush=True)
    try:
        with h.interrupt_as_exception():
            generate(spec, force=args.force)
    except h.BenchError as exc:
        print(f"generation failed: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; run again to rebuild (the marker is written only at the end)", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
