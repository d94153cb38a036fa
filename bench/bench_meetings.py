"""Meeting benchmark: the meeting view with a 200-case agenda and the minutes PDF of 50 cases, at scale.

On ``gen_cases.py``'s database (generated if missing, migrated to head here) it creates, in
Orminge, an open meeting with exactly 200 real cases on the agenda, with reasons, attendance,
decisions and actions, and a closed meeting whose minutes hold 50 cases with 1-3 decisions and 1-2
actions each; then measures (bench/README.md, "Meetings at scale", says how and what was measured):
the SQL statements of one render at 50/100/200 items (must be equal, in-process); target (a),
``GET /meetings/<id>`` p50 < 150 ms for one client under gunicorn (and 16 clients with wrk);
target (b), ``GET /meetings/<id>/minutes.pdf`` every one under 2 s (and ``render_pdf`` alone).
Everything created is deleted at the end and, if a killed run left it, at the start.

    .venv/bin/python bench/bench_meetings.py [--requests 100] [--pdf-requests 20] [--wait-quiet 300] [--check]
"""

from __future__ import annotations

import argparse
import cProfile
import json
import math
import os
import platform
import pstats
import random
import sys
import threading
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _harness as h  # noqa: E402
import gen_cases  # noqa: E402

COORDINATOR = "samordnare.orminge"
MARK = "Bench: bench_meetings.py"
STATE = h.BENCH_DIR / "out" / "meetings" / "created.json"
TARGET_AGENDA_P50_MS, TARGET_PDF_S, SIZES = 150.0, 2.0, (50, 100, 200)
MIX = {"signal": 30, "triaged": 20, "active": 110, "closed": 40}
REASONS = {"signal": [["new_signal"]], "triaged": [["review_due"], ["consent_expiring"], ["flagged"]],
           "active": [["review_due"], ["action_overdue"], ["flagged"], ["consent_expiring"], ["consent_expired"],
                      ["review_due", "action_overdue"], ["flagged", "added"]], "closed": [["closed_since_last"]]}
DECISIONS = ("Socialtjänsten kallar familjen till nätverksmöte inom två veckor.", "Insatsen avslutas enligt planen.",
             "Skolan ordnar anpassad studiegång och återkommer till nästa möte med närvaron.",
             "Fältassistenterna tar kontakt under helgen och erbjuder plats på fritidsgården.")
ACTIONS = ("Boka nätverksmöte med vårdnadshavare", "Följa upp frånvaron varje fredag", "Erbjuda sommarjobb",
           "Hembesök tillsammans med skolkuratorn", "Kontakta föreningen om träningsplats", "Ordna läxhjälp")


def cleanup(db_url: str) -> int:
    """Delete what this script created (listed in STATE, or a meeting at MARK); return meetings deleted."""
    import psycopg

    made = json.loads(STATE.read_text()) if STATE.exists() else {"meetings": [], "plans": []}
    with psycopg.connect(db_url.replace("+psycopg", "", 1), autocommit=True) as conn, conn.transaction():
        conn.execute("DELETE FROM plans WHERE id = ANY(%s::uuid[])", (made["plans"],))  # cascades their actions
        ids = made["meetings"] + [str(r[0]) for r in conn.execute("SELECT id FROM meetings WHERE place = %s",
                                                                  (MARK,))]
        conn.execute("DELETE FROM plan_actions WHERE meeting_id = ANY(%s::uuid[])", (ids,))
        deleted = conn.execute("DELETE FROM meetings WHERE id = ANY(%s::uuid[])", (ids,)).rowcount
    STATE.unlink(missing_ok=True)
    return deleted


def setup(gen: gen_cases.Generated, rng: random.Random):
    """Both meetings and their content; the open meeting's agenda items are added later (``add_items``)."""
    from sqlalchemy import select, text

    from sspf.auth.models import User
    from sspf.extensions import db
    from sspf.meetings.agenda import order_key
    from sspf.meetings.models import AgendaItem, Attendance, EntryKind, Meeting, MeetingEntry, MeetingStatus
    from sspf.org.models import Agency
    from sspf.plans.models import Action, ActionStatus, Plan

    user = db.session.scalar(select(User).where(User.username == COORDINATOR))
    district = db.session.scalar(text("SELECT id FROM districts WHERE code = 'ORM'"))
    agencies = list(db.session.scalars(select(Agency.id).where(Agency.is_authority.is_(True), Agency.active.is_(True))))
    cases = []
    for status, n in MIX.items():
        order = "c.closed_at DESC" if status == "closed" else "md5(c.id::text)"
        cases += [(r[0], r[1], status) for r in db.session.execute(text(
            "SELECT c.id, c.code FROM cases c WHERE c.district_id = :d AND c.status = :s AND NOT (c.id::text = ANY(:h))"
            f" AND NOT EXISTS (SELECT 1 FROM plans p WHERE p.case_id = c.id) ORDER BY {order} LIMIT :n"),
            {"d": district, "s": status, "h": gen.heavy_cases.get("ORM", []), "n": n})]
    if len(cases) != sum(MIX.values()):
        raise h.BenchError(f"found only {len(cases)} suitable Orminge cases")
    rng.shuffle(cases)
    now, today = datetime.now(UTC), date.today()
    meeting = Meeting(district_id=district, held_on=today, starts_at=dtime(9), place=MARK, agenda_version=1,
                      agenda_built_at=now)
    closed = Meeting(district_id=district, held_on=today + timedelta(days=7), starts_at=dtime(9), place=MARK,
                     agenda_version=1, agenda_built_at=now, status=MeetingStatus.CLOSED, closed_at=now,
                     closed_by_id=user.id)
    plans = {cid: Plan(case_id=cid) for cid, _code, status in cases if status in ("triaged", "active")}
    db.session.add_all([meeting, closed, *plans.values()])
    db.session.flush()
    STATE.parent.mkdir(parents=True, exist_ok=True)
    STATE.write_text(json.dumps({"meetings": [str(meeting.id), str(closed.id)],
                                 "plans": [str(p.id) for p in plans.values()]}))
    stamp = iter(range(10**6))

    def entry(m, cid, kind=EntryKind.DECISION, corrects=None):
        e = MeetingEntry(meeting_id=m.id, case_id=cid, kind=kind, text=" ".join(rng.sample(DECISIONS, 2)),
                         created_by_id=user.id, corrects_id=corrects, created_at=now + timedelta(seconds=next(stamp)))
        db.session.add(e)
        return e

    def action(cid, meeting_id=None, created=now, done=None):
        db.session.add(Action(plan_id=plans[cid].id, case_id=cid, text=rng.choice(ACTIONS),
                              owner_agency_id=rng.choice(agencies), deadline=today + timedelta(days=rng.randint(7, 60)),
                              status=ActionStatus.DONE if done else ActionStatus.OPEN, created_at=created,
                              created_by_id=user.id, done_at=done, meeting_id=meeting_id))

    items = []
    for i, (cid, code, status) in enumerate(cases):
        reasons = rng.choice(REASONS[status])
        items.append((cid, reasons, order_key(reasons, code)))
        for _ in range(rng.randint(1, 2) if i % 2 == 0 else 0):
            entry(meeting, cid)
        for _ in range(rng.randint(1, 2) if cid in plans and i % 3 == 0 else 0):
            action(cid, meeting_id=meeting.id)
        if cid in plans and i % 4 == 1:
            action(cid, created=now - timedelta(days=5))
            action(cid, created=now - timedelta(days=40), done=now - timedelta(days=3))
    position = {cid: n for n, (cid, *_rest) in enumerate(sorted(items, key=lambda it: it[2]), start=1)}
    specs = [(cid, reasons, position[cid]) for cid, reasons, _key in items]
    for n, cid in enumerate([cid for cid, *_rest in cases if cid in plans][:50], start=1):
        db.session.add(AgendaItem(meeting_id=closed.id, case_id=cid, position=n, reasons=["review_due"],
                                  youth_took_part=n % 5 == 0, guardians_took_part=n % 3 == 0))
        first = [entry(closed, cid) for _ in range(rng.randint(1, 3))][0]
        if n % 10 == 0:
            db.session.flush()
            entry(closed, cid, EntryKind.CORRECTION, corrects=first.id)
        for _ in range(rng.randint(1, 2)):
            action(cid, meeting_id=closed.id)
    for m in (meeting, closed):
        db.session.add_all(Attendance(meeting_id=m.id, agency_id=a, present=a != agencies[-1]) for a in agencies)
    db.session.commit()
    return user, meeting.id, closed.id, specs


def in_process(app, gen, user, meeting_id, pdf_id, specs, args) -> dict:
    """Statements and times of one warm render at 50/100/200 items, the agenda build, ``render_pdf`` alone."""
    from flask import before_render_template, template_rendered
    from sqlalchemy import event, func, select

    from sspf.db import utcnow
    from sspf.extensions import db
    from sspf.meetings import minutes, queries, services
    from sspf.meetings.models import AgendaItem, Meeting

    client = app.test_client()
    token = h.csrf_token(client.get("/login").get_data(as_text=True))
    if client.post("/login", data={"csrf_token": token, "username": COORDINATOR,
                                   "password": gen.password}).status_code != 302:
        raise h.BenchError("in-process login failed")
    me, clock = threading.get_ident(), {"db": 0.0, "tpl": 0.0, "n": 0}

    def before(conn, *_a):
        conn.info["t0"] = time.perf_counter()

    def after(conn, *_a):
        if threading.get_ident() == me:  # not the audit sealer's thread
            clock["db"] += time.perf_counter() - conn.info["t0"]
            clock["n"] += 1

    def tpl(_sender, starting=False, **_k):
        clock["tpl"] += (-1 if starting else 1) * time.perf_counter()

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", before)
        event.listen(db.engine, "after_cursor_execute", after)
    before_render_template.connect(lambda s, **k: tpl(s, starting=True), app, weak=False)
    template_rendered.connect(tpl, app)
    out, done = {"sizes": {}}, 0
    for size in SIZES:
        with app.app_context():  # the requests push their own context, as in production
            db.session.add_all(AgendaItem(meeting_id=meeting_id, case_id=cid, position=pos, reasons=reasons)
                               for cid, reasons, pos in specs[done:size])
            db.session.commit()
        done = size
        client.get(f"/meetings/{meeting_id}")  # warm caches
        renders = []
        for _ in range(5):  # the median of five renders (n, total ms, database ms, template ms)
            clock.update(db=0.0, tpl=0.0, n=0)
            total, page = timed(client.get, f"/meetings/{meeting_id}")
            renders.append((clock["n"], total, clock["db"] * 1000, clock["tpl"] * 1000))
            shown = page.get_data().count(b'class="card agenda-item"')
            if page.status_code != 200 or shown != size:
                raise h.BenchError(f"in-process GET answered {page.status_code} with {shown} items, not {size}")
        if len(counts := {r[0] for r in renders}) != 1:
            raise h.BenchError(f"renders of one {size}-item agenda sent {sorted(counts)} statements")
        out["sizes"][size] = sorted(renders, key=lambda r: r[1])[2]
    if args.profile:
        prof = cProfile.Profile()
        prof.runcall(client.get, f"/meetings/{meeting_id}")
        pstats.Stats(prof).sort_stats("cumulative").print_stats(40)
    with app.test_request_context():
        user = db.session.merge(user)
        scratch = Meeting(district_id=db.session.get(Meeting, meeting_id).district_id, place=MARK,
                          held_on=date.today() + timedelta(days=14), starts_at=dtime(9))
        db.session.add(scratch)
        db.session.flush()
        build = timed(services.ensure_agenda, scratch)[0]
        out["build"] = (build, db.session.scalar(select(func.count()).where(AgendaItem.meeting_id == scratch.id)))
        db.session.rollback()
        view = queries.meeting_view(user, db.session.get(Meeting, pdf_id), now=utcnow(), purpose="minutes")
        runs = [timed(minutes.render_pdf, view) for _ in range(args.pdf_requests)]
        out["render_pdf"], out["pdf_bytes"] = [t for t, _pdf in runs], len(runs[0][1])
        db.session.rollback()
        db.engine.dispose()
    return out


def timed(fn, *args, **kwargs) -> tuple[float, object]:
    t0 = time.perf_counter()
    result = fn(*args, **kwargs)
    return (time.perf_counter() - t0) * 1000, result


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, math.ceil(p / 100 * len(s)) - 1))]


def sequential(name: str, url: str, cookie: str, n: int, pgid: int, check) -> h.LoadResult:
    """``n`` requests one after the other; "non2xx" counts every answer that is not 200 passing ``check``."""
    browser, times, bad = h.Browser(url), [], 0
    before, own = h.CpuSnapshot.take(), sum(os.times()[:2])
    start = time.perf_counter()
    for _ in range(n):
        elapsed, page = timed(browser.request, "", headers={"Cookie": f"sspf={cookie}"})
        times.append(elapsed)
        bad += not (page.status == 200 and check(page.body))
    duration = time.perf_counter() - start
    after, own = h.CpuSnapshot.take(), sum(os.times()[:2]) - own
    result = h.LoadResult(name, n, duration, bad, 0, 0, pct(times, 50), pct(times, 90), pct(times, 99), max(times))
    result.cpu = h.cpu_between(before, after, [pgid])
    result.cpu.loadgen += own  # this process is the client
    return result


def settle(pgid: int, timeout: float = 120) -> None:
    """Wait until the server has answered what wrk left queued (its CPU time stops growing)."""
    used = lambda: sum(cpu for _c, group, cpu in h.CpuSnapshot.take().procs.values() if group == pgid)  # noqa: E731
    deadline, last = time.monotonic() + timeout, used()
    while time.monotonic() < deadline:
        time.sleep(0.5)
        if (now := used()) - last < 0.02:
            return
        last = now


def measure(gen, meeting_id, pdf_id, args) -> list[tuple[h.LoadResult, float]]:
    page, pdf = f"/meetings/{meeting_id}", f"/meetings/{pdf_id}/minutes.pdf"
    page_ok = lambda body: body.count('class="card agenda-item"') == 200  # noqa: E731
    pdf_ok = lambda body: body.startswith("%PDF")  # noqa: E731
    rows = []
    with h.Gunicorn("sspf:create_app()", gen.env(), workers=h.WorkerConfig.parse(args.workers)) as app:
        cookie, _html = h.login(app.base_url, COORDINATOR, gen.password)
        if sequential("check", app.base_url + page, cookie, 1, app.pgid, page_ok).non2xx:
            raise h.BenchError(f"GET {page} did not answer 200 with 200 agenda items")
        load = {"threads": 1, "headers": {"Cookie": f"sspf={cookie}"}, "server_pgids": [app.pgid]}
        print("  warm-up: every worker serves the page and the PDF (wrk, 3 s each) ...", flush=True)
        h.run_wrk("warm-up", app.base_url + page, duration=3, connections=args.connections, **load)
        h.run_wrk("warm-up", app.base_url + pdf, duration=3, connections=4, **load)
        settle(app.pgid)
        for name, path, n, check in (("view 200, 1 client", page, args.requests, page_ok),
                                     ("minutes PDF 50, 1 client", pdf, args.pdf_requests, pdf_ok)):
            print(f"  {name}: {n} requests ...", flush=True)
            quiet = h.wait_for_quiet(args.wait_quiet)
            rows.append((sequential(name, app.base_url + path, cookie, n, app.pgid, check), quiet))
        print(f"  view 200, {args.connections} clients: {args.duration:g} s ...", flush=True)
        quiet = h.wait_for_quiet(args.wait_quiet)
        rows.append((h.run_wrk(f"view 200, {args.connections} clients", app.base_url + page,
                               duration=args.duration, connections=args.connections, **load), quiet))
    return rows


def report(rows, stats, args) -> tuple[bool, bool]:
    (solo, _q), (pdf, _q), _multi = rows
    counts, rp = [stats["sizes"][s][0] for s in SIZES], stats["render_pdf"]
    ok = {"agenda": solo.p50_ms < TARGET_AGENDA_P50_MS, "statements": len(set(counts)) == 1,
          "pdf": pdf.max_ms < TARGET_PDF_S * 1000}
    header = (f"{'measurement':<26} {'n':>5} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'max ms':>8} {'req/s':>6} "
              f"{'bad':>4} {'cpu ms/req':>10} {'load before':>11} {'other load':>10}  target")
    print(f"\ngunicorn sync -w {args.workers}; Orminge meeting with 200 agenda cases; minutes of 50 cases\n{header}\n"
          + "-" * (len(header) + 20))
    targets = [f"p50 < {TARGET_AGENDA_P50_MS:g} ms: {'PASS' if ok['agenda'] else 'MISS'}",
               f"max < {TARGET_PDF_S:g} s: {'PASS' if ok['pdf'] else 'MISS'}", "(information)"]
    for (r, quiet), target in zip(rows, targets, strict=True):
        print(f"{r.name:<26} {r.requests:5d} {r.p50_ms:8.1f} {r.p90_ms:8.1f} {r.p99_ms:8.1f} {r.max_ms:8.1f} "
              f"{r.rps:6.1f} {r.non2xx + r.socket_errors:4d} {r.server_cpu_ms or 0:10.1f} {quiet:11.2f} "
              f"{r.other_cores or 0:10.2f}  {target}")
    print(f"{'render_pdf() in-process':<26} {len(rp):5d} {pct(rp, 50):8.1f} {pct(rp, 90):8.1f} {pct(rp, 99):8.1f} "
          f"{max(rp):8.1f} {'':49}  (information; {stats['pdf_bytes']:,} bytes)")
    print("(bad: not 200 with the whole page / a PDF; load before: busy cores just before; other load: cores taken "
          "during the run by processes other than gunicorn, PostgreSQL and the client)\n")
    for size in SIZES:
        n, total, dbms, tpl = stats["sizes"][size]
        print(f"in-process render (median of 5), {size:3d} items: {n:3d} SQL statements, {total:6.1f} ms in all, "
              f"{dbms:5.1f} ms in the database, {tpl:6.1f} ms in render_template")
    print(f"statements per render at 50/100/200 items: {'/'.join(map(str, counts))}: "
          f"{'equal: PASS' if ok['statements'] else 'NOT equal: MISS'}")
    print("agenda build on first open (services.ensure_agenda on Orminge, in-process, rolled back): "
          "{1:,} cases in {0:,.0f} ms".format(*stats["build"]))
    if (busiest := max(r.other_cores or 0.0 for r, _q in rows)) > 0.15:
        print(f"WARNING: other processes used up to {busiest:.2f} cores during the measurements; re-run when quiet.")
    return all(r.non2xx == 0 and r.socket_errors == 0 for r, _q in rows), all(ok.values())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add = parser.add_argument
    add("--requests", type=int, default=100, help="sequential GETs of the meeting view (100)")
    add("--pdf-requests", type=int, default=20, help="sequential GETs of the minutes PDF (20)")
    add("--duration", type=float, default=10, help="seconds of the 16-client wrk run (10)")
    add("--connections", type=int, default=16, help="wrk connections (16)")
    add("--workers", default="4", help="gunicorn sync workers (4, as the other benchmarks)")
    add("--wait-quiet", type=float, default=0, metavar="SECONDS", help="wait up to this long for other load to stop "
        "before each measurement (0)")
    add("--profile", action="store_true", help="print a cProfile of one 200-item render (in-process)")
    add("--check", action="store_true", help="exit 2 if a target is missed")
    args = parser.parse_args()
    print(f"sspf meeting benchmark; {os.cpu_count()} CPUs, Python {platform.python_version()}; "
          f"machine load now {h.busy_cores():.2f} busy cores", flush=True)
    gen, migrated = None, False
    try:
        with h.interrupt_as_exception():
            h.wrk_path()  # installed?
            gen = gen_cases.load_generated()
            if gen is None:
                print("no generated data yet: running gen_cases.py first (3-4 minutes)", flush=True)
                gen = gen_cases.generate(gen_cases.Spec(gen_cases.DEFAULT_DATABASE, 50_000, 60_000, 10**6, 20260101))
            h.prepare_sspf(gen.env(), seed=False)  # sspf db upgrade: the meeting tables
            migrated = True
            if left := cleanup(gen.db_url):
                print(f"deleted {left} meeting(s) left by an earlier run", flush=True)
            os.environ.update(gen.env())  # before sspf is imported (config.py reads it at import)
            from sspf import create_app

            app = create_app()
            print("creating the meetings, agenda and minutes content in Orminge ...", flush=True)
            with app.app_context():
                user, meeting_id, pdf_id, specs = setup(gen, random.Random(20260201))
            stats = in_process(app, gen, user, meeting_id, pdf_id, specs, args)
            print("measuring under gunicorn ...", flush=True)
            valid, met = report(measure(gen, meeting_id, pdf_id, args), stats, args)
    except h.BenchError as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; servers stopped", file=sys.stderr)
        return 130
    finally:
        if migrated:
            print(f"clean-up: deleted {cleanup(gen.db_url)} meeting(s) and their plans", flush=True)
    if not valid:
        print("INVALID: bad responses or socket errors; see above", file=sys.stderr)
        return 1
    return 2 if args.check and not met else 0


if __name__ == "__main__":
    sys.exit(main())
