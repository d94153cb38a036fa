"""Baseline HTTP benchmark: sspf's pages against a bare Flask endpoint, under gunicorn on PostgreSQL.

Three endpoints are measured one after the other, each after a short warm-up, in ``--repeat``
rounds, with wrk keeping ``--connections`` connections busy for ``--duration`` seconds each:

1. ``bare``: a bare Flask app (``bench/_harness.py``, ``create_bare_app``) doing one indexed
   ``SELECT id FROM users WHERE username = :u`` with plain SQLAlchemy: the reference every later
   benchmark compares against;
2. ``start page``: ``GET /`` of the real app for a user logged in once through the real form;
3. ``login page``: ``GET /login`` of the real app, anonymous.

Both apps are served by gunicorn with the same worker configuration and use the same scratch
database (``--database``, dropped and re-created here, migrated with ``sspf db upgrade`` and seeded
with ``sspf seed-demo``). The target: the authenticated start page keeps at least 40% of the bare
endpoint's throughput, judged on the median over the rounds of each round's start/bare ratio (the
two are measured back to back, so a drift in the machine's speed between rounds cancels). Any non-2xx
response (a redirect to /login would mean the session cookie was refused) or socket error makes the
figures invalid and the exit status 1.

    .venv/bin/python bench/bench_baseline.py [--duration 5] [--connections 16] [--workers 4]
        [--repeat 5] [--wait-quiet 300]

``--workers`` takes gunicorn configurations as ``WORKERSxTHREADS`` (gthread) or ``WORKERS`` (sync);
several, comma-separated, are measured in turn (e.g. ``--workers 4,4x2,2x8``). The default, four
sync workers, did as well as or better than the gthread variants on two cores (see bench/README.md).
Needs Debian's ``wrk``.
"""

from __future__ import annotations

import argparse
import os
import platform
import secrets
import statistics
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _harness as h  # noqa: E402

TARGET_RATIO = 0.40
#: Cores that processes other than the server, PostgreSQL and wrk may take before we warn.
OTHER_LOAD_WARNING = 0.15
USERNAME = "soc.orminge"
WELCOME = "Välkommen, Socialsekreterare Orminge"


def measure(config: h.WorkerConfig, db_url: str, env: dict[str, str], password: str,
            args) -> tuple[list[h.LoadResult], list[float]]:
    """Serve both apps with ``config`` and measure the three endpoints in turn.

    Returns each endpoint's median round and, per round, the start page's req/s over the bare
    endpoint's in that same round: this machine's speed drifts by a third within minutes, so a
    ratio of two rounds measured seconds apart is steadier than a ratio of two separate medians.
    """
    bare_env = {**env, "BENCH_DATABASE_URL": db_url, "BENCH_BARE_USERNAME": USERNAME,
                "BENCH_POOL_SIZE": str(max(5, config.threads))}
    with ExitStack() as stack:
        bare = stack.enter_context(h.Gunicorn("_harness:create_bare_app()", bare_env, workers=config,
                                              pythonpath=[h.BENCH_DIR]))
        app = stack.enter_context(h.Gunicorn("sspf:create_app()", env, workers=config))
        cookie, _html = h.login(app.base_url, USERNAME, password, expect=WELCOME)
        # The start page right after the bare endpoint, so each round's pair is measured seconds apart.
        targets = [
            ("bare", bare, "/bare", {}),
            ("start page (logged in)", app, "/", {"Cookie": f"sspf={cookie}"}),
            ("login page", app, "/login", {}),
        ]
        runs: dict[str, list[h.LoadResult]] = {name: [] for name, *_ in targets}
        for round_no in range(args.repeat):
            for name, server, path, headers in targets:
                load = {"connections": args.connections, "threads": args.wrk_threads, "headers": headers,
                        "server_pgids": [server.pgid]}
                h.wait_for_quiet(args.wait_quiet)
                if round_no == 0:
                    print(f"  {name}: warm-up {args.warmup:g} s, then {args.duration:g} s ...", flush=True)
                    h.run_wrk(name, server.base_url + path, duration=args.warmup, **load)
                else:
                    print(f"  {name}: round {round_no + 1} of {args.repeat}, {args.duration:g} s ...", flush=True)
                runs[name].append(h.run_wrk(name, server.base_url + path, duration=args.duration, **load))
        results = [h.median_result(runs[name]) for name, *_ in targets]
        bare_runs, start_runs = runs[targets[0][0]], runs[targets[1][0]]
        paired = [start.rps / bare.rps for bare, start in zip(bare_runs, start_runs, strict=True) if bare.rps]
        # The cookie must still be good after the run (no idle/absolute timeout, no session churn).
        page = h.Browser(app.base_url).request("/", headers={"Cookie": f"sspf={cookie}"})
        if page.status != 200 or WELCOME not in page.body:
            raise h.BenchError(f"after the run the start page answered {page.status} -> {page.location}")
    return results, paired


def report(config: h.WorkerConfig, results: list[h.LoadResult], paired: list[float]) -> tuple[bool, bool]:
    """Print one configuration's table; return (figures valid, target met)."""
    bare, start = results[0], results[1]
    print(f"\ngunicorn {config}:")
    print(h.format_table(results, baseline=bare))
    bad = sum(r.non2xx for r in results)
    errors = sum(r.socket_errors for r in results)
    ratio = statistics.median(paired) if paired else 0.0
    met = ratio >= TARGET_RATIO
    print("start page / bare, round by round: " + ", ".join(f"{r:.1%}" for r in paired)
          + f" (median {ratio:.1%})")
    print(f"non-2xx responses: {bad} (redirects among them: {sum(r.redirects for r in results)}); "
          f"socket errors: {errors}")
    print(f"target: authenticated start page keeps at least {TARGET_RATIO:.0%} of the bare endpoint's throughput: "
          f"{'MET' if met else 'NOT MET'} (median of the rounds: {ratio:.1%})")
    if bare.server_cpu_ms and start.server_cpu_ms:
        print(f"server CPU per request: start page {start.server_cpu_ms:.2f} ms vs bare {bare.server_cpu_ms:.2f} ms "
              f"(bare/start {bare.server_cpu_ms / start.server_cpu_ms:.1%}: the ratio if only server CPU counted)")
    busiest = max((r.other_cores or 0.0) for r in results)
    if busiest > OTHER_LOAD_WARNING:
        print(f"WARNING: other processes used up to {busiest:.2f} of {os.cpu_count()} cores during the measurements; "
              "req/s and latencies are disturbed (cpu ms/req less so). Re-run on a quiet machine.")
    return bad == 0 and errors == 0, met


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=5, help="seconds measured per endpoint and round (default 5)")
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections (default 16)")
    parser.add_argument("--warmup", type=float, default=2, help="seconds of unmeasured load first (default 2)")
    parser.add_argument("--workers", default="4",
                        help="gunicorn config(s): WORKERSxTHREADS (gthread) or WORKERS (sync), comma-separated")
    parser.add_argument("--wrk-threads", type=int, default=1, help="wrk threads (default 1: leave the cores to "
                        "the server)")
    parser.add_argument("--repeat", type=int, default=5,
                        help="rounds over the three endpoints, interleaved; each endpoint's table row is its "
                        "median-req/s round, and the target is judged on the median per-round ratio (default 5)")
    parser.add_argument("--wait-quiet", type=float, default=0, metavar="SECONDS",
                        help="before each endpoint, wait up to this long for other processes to leave the CPU "
                        "(for a shared machine; default 0: do not wait)")
    parser.add_argument("--database", default="sspf_bench", help="scratch database, dropped and re-created")
    parser.add_argument("--keep-db", action="store_true", help="keep the scratch database afterwards")
    parser.add_argument("--check", action="store_true", help="exit 2 if the target is not met")
    args = parser.parse_args()
    configs = [h.WorkerConfig.parse(part) for part in args.workers.split(",") if part.strip()]

    try:
        h.wrk_path()
    except h.BenchError as exc:
        print(exc, file=sys.stderr)
        return 1

    print(f"sspf baseline: {args.duration:g} s per endpoint after {args.warmup:g} s warm-up, "
          f"{args.connections} connections, wrk -t{args.wrk_threads}; {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}")
    all_valid, all_met = True, True
    with h.interrupt_as_exception(), tempfile.TemporaryDirectory(prefix="sspf-bench-") as instance:
        password = secrets.token_urlsafe(12)
        try:
            print(f"preparing database {args.database} (migrate, seed demo) ...", flush=True)
            db_url = h.reset_database(args.database)
            env = h.sspf_env(db_url, instance, demo_password=password)
            h.prepare_sspf(env)
            for config in configs:
                print(f"measuring with gunicorn {config} ...", flush=True)
                valid, met = report(config, *measure(config, db_url, env, password, args))
                all_valid &= valid
                all_met &= met
        except h.BenchError as exc:
            print(f"benchmark failed: {exc}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            print("interrupted; servers stopped", file=sys.stderr)
            return 130
        finally:
            if not args.keep_db:
                try:
                    h.drop_database(args.database)
                except Exception as exc:  # noqa: BLE001 (clean-up must not hide the real outcome)
                    print(f"could not drop {args.database}: {exc}", file=sys.stderr)
    if not all_valid:
        print("INVALID: some responses were not 2xx or failed; the figures do not measure the pages", file=sys.stderr)
        return 1
    return 2 if args.check and not all_met else 0


if __name__ == "__main__":
    sys.exit(main())
