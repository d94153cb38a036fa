"""What the audit trail costs a request, against the bare endpoint of the foundation baseline.

One run, one PostgreSQL database, gunicorn with the baseline's worker configuration and 16
concurrent clients (wrk): the bare Flask endpoint (one indexed SELECT, nothing of sspf), then
sspf's request cycle doing the same SELECT without and with one audit event. The audit cost per
request is the difference of the two sspf medians; the target is that it stays under 10% of the
bare endpoint's median latency. Also counts that every audited request left a sealed event.

    .venv/bin/python bench/bench_audit_write.py [--duration 10] [--connections 16] [--workers 2x8]
"""

from __future__ import annotations

import argparse
import tempfile
import time

import _harness as h
import psycopg

DB = "sspf_bench_audit"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", default="2x8", help="gunicorn workers: 2x8 = 2 gthread workers of 8 threads")
    parser.add_argument("--runs", type=int, default=3, help="runs per endpoint; the median run is reported")
    args = parser.parse_args()
    workers = h.WorkerConfig.parse(args.workers)
    url = h.reset_database(DB)
    with tempfile.TemporaryDirectory(prefix="bench-audit-") as instance, h.interrupt_as_exception():
        env = h.sspf_env(url, instance, demo_password="bench-lösenord-2026", BENCH_DATABASE_URL=url,
                         SSPF_CHECKPOINT_INTERVAL="60")
        h.prepare_sspf(env)
        results = []
        with h.Gunicorn("_harness:create_bare_app()", env, workers=workers, pythonpath=[h.BENCH_DIR]) as bare:
            h.run_wrk("warm-up", bare.base_url + "/bare", duration=2, connections=args.connections)
            results.append(h.median_result([h.run_wrk("bare", bare.base_url + "/bare", duration=args.duration,
                                                      connections=args.connections, server_pgids=[bare.pgid])
                                            for _ in range(args.runs)]))
        before = _events(url)
        with h.Gunicorn("_audit_app:create_audit_bench_app()", env, workers=workers,
                        pythonpath=[h.BENCH_DIR]) as app:
            for path in ("/bench/select", "/bench/audited"):
                h.run_wrk("warm-up", app.base_url + path, duration=2, connections=args.connections)
            plain = h.median_result([h.run_wrk("sspf select", app.base_url + "/bench/select",
                                               duration=args.duration, connections=args.connections,
                                               server_pgids=[app.pgid]) for _ in range(args.runs)])
            audited_runs = [h.run_wrk("sspf select + audit", app.base_url + "/bench/audited",
                                      duration=args.duration, connections=args.connections,
                                      server_pgids=[app.pgid]) for _ in range(args.runs)]
            audited = h.median_result(audited_runs)
            time.sleep(1.5)  # let the background sealer finish
        results += [plain, audited]
        after, sealed, pending = _events(url), _sealed(url), _pending(url)
        in_request = _in_request_cost(env)
    h.drop_database(DB)

    bare_result = results[0]
    print(f"workers: {workers}; {args.connections} connections; {args.duration:g} s x {args.runs} runs (median run)")
    print(h.format_table(results, baseline=bare_result))
    cost = audited.p50_ms - plain.p50_ms
    share = cost / bare_result.p50_ms if bare_result.p50_ms else float("inf")
    cpu_cost = (audited.server_cpu_ms or 0) - (plain.server_cpu_ms or 0)
    print(f"\naudit cost per request: {cost:.2f} ms at p50 ({share:.0%} of the bare endpoint's p50 "
          f"{bare_result.p50_ms:.2f} ms); server CPU {cpu_cost:.2f} ms/request")
    print(f"target (< 10% of bare p50): {'met' if share < 0.10 else 'NOT met'}")
    write_ms, commit_ms = in_request
    in_share = (write_ms + commit_ms) / bare_result.p50_ms if bare_result.p50_ms else float("inf")
    print(f"\nin the request itself (one process, no load, median of {IN_PROCESS_ROUNDS}): writing the event "
          f"{write_ms:.3f} ms + the commit's extra cost as a write {commit_ms:.3f} ms = {write_ms + commit_ms:.3f} ms "
          f"= {in_share:.0%} of the bare endpoint's p50; sealing runs after the response, in the background")
    print(f"target on the request's own audit write (< 10% of bare p50): {'met' if in_share < 0.10 else 'NOT met'}")
    measured = sum(r.requests for r in audited_runs)
    print(f"audit events written: {after - before} (measured audited requests {measured}, plus the warm-up); "
          f"all events sealed: {sealed} of {after}, still pending {pending}")
    return 0 if pending == 0 and sealed == after else 1


IN_PROCESS_ROUNDS = 500


def _in_request_cost(env: dict[str, str]) -> tuple[float, float]:
    """Median time of ``record()`` and the extra time a commit takes once the transaction has written.

    Measured inside one request context of the real app, sequentially, so that it is the request's
    own cost of auditing, not queueing behind other requests.
    """
    import os
    import statistics
    import time

    from sqlalchemy import text

    os.environ.update({k: v for k, v in env.items() if k.startswith("SSPF_")})
    from sspf import create_app
    from sspf.audit import AuditAction, record
    from sspf.extensions import db

    app = create_app()
    query = text("SELECT id FROM users WHERE username = 'admin'")
    writes, read_commits, write_commits = [], [], []
    with app.test_request_context("/bench"):
        for _ in range(IN_PROCESS_ROUNDS):
            db.session.execute(query).scalar_one()
            t0 = time.perf_counter()
            db.session.commit()
            read_commits.append(time.perf_counter() - t0)
            user_id = db.session.execute(query).scalar_one()
            t1 = time.perf_counter()
            record(AuditAction.ACCESS_DENIED, target_type="bench", target_id=user_id, fields=["username"])
            t2 = time.perf_counter()
            db.session.commit()
            t3 = time.perf_counter()
            writes.append(t2 - t1)
            write_commits.append(t3 - t2)
        db.session.remove()
    ms = 1000.0
    return (statistics.median(writes) * ms,
            max(0.0, statistics.median(write_commits) - statistics.median(read_commits)) * ms)


def _scalar(url: str, sql: str) -> int:
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        return conn.execute(sql).fetchone()[0]


def _events(url: str) -> int:
    return _scalar(url, "SELECT count(*) FROM audit_events")


def _sealed(url: str) -> int:
    return _scalar(url, "SELECT count(*) FROM audit_seals")


def _pending(url: str) -> int:
    return _scalar(url, "SELECT count(*) FROM audit_pending")


if __name__ == "__main__":
    raise SystemExit(main())
