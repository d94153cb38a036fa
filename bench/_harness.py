"""Shared helpers for the HTTP benchmarks: a scratch PostgreSQL database, gunicorn, login, wrk.

Every benchmark of a page of sspf needs the same few things, so they live here once:

* :func:`reset_database` drops and re-creates a scratch database on the local PostgreSQL server;
* :func:`sspf_env` and :func:`prepare_sspf` give the environment the real app runs with, then
  migrate and seed it through the ``sspf`` command exactly as an operator would;
* :class:`Gunicorn` starts gunicorn on a free loopback port in its own process group, waits for a
  health URL, and always stops the whole group again (use it as a context manager);
* :func:`login` logs in through the real form (CSRF token included) and returns the session cookie;
* :func:`run_wrk` drives wrk with a Lua script that counts every status code, so a redirect (which
  wrk itself does not count as an error) is caught, and returns a :class:`LoadResult`;
* :func:`create_bare_app` is the reference point of all comparisons: a bare Flask app that does one
  indexed SELECT with plain SQLAlchemy and nothing of sspf's middleware. Gunicorn loads it with
  ``--pythonpath bench "_harness:create_bare_app()"``.

Only the standard library is used by the helpers that run in the benchmark's own process, so a
benchmark needs nothing beyond the project's dependencies and Debian's ``wrk``.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
VENV_BIN = Path(sys.executable).parent
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
WRK_INSTALL_HINT = ("wrk is not installed. It is the load generator of these benchmarks; install Debian's "
                    "package with:\n    apt-get install -y wrk")


class BenchError(RuntimeError):
    """A benchmark could not be run as intended (its figures would be meaningless)."""


# --------------------------------------------------------------------------------------------
# Database and the sspf environment


def database_url(name: str) -> str:
    """The SQLAlchemy URL of database ``name`` on the same server as :data:`PG_ADMIN_URL`."""
    parts = urllib.parse.urlsplit(PG_ADMIN_URL)
    return urllib.parse.urlunsplit(("postgresql+psycopg", parts.netloc, "/" + name, "", ""))


def reset_database(name: str) -> str:
    """Drop (with its connections) and re-create database ``name``; return its SQLAlchemy URL."""
    import psycopg
    from psycopg import sql

    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise BenchError(f"refusing an unusual database name: {name!r}")
    try:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.OperationalError as exc:
        raise BenchError(f"cannot reach PostgreSQL ({exc}); set BENCH_PG_ADMIN_URL if it is not the local default") \
            from exc
    return database_url(name)


def drop_database(name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def sspf_env(db_url: str, instance_dir: str | Path, *, demo_password: str, **extra: str) -> dict[str, str]:
    """The environment the real app runs with in a benchmark (development config, given database).

    Login rate limits are raised so a benchmark that logs in many times measures the app, not the
    limiter; ``extra`` adds or overrides ``SSPF_*`` (or any other) variables.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("SSPF_")}
    env.update({
        "SSPF_ENV": "development",
        "SSPF_DATABASE_URL": db_url,
        "SSPF_INSTANCE_DIR": str(instance_dir),
        "SSPF_DEMO_PASSWORD": demo_password,
        "SSPF_LOGIN_RATE_LIMIT": "100000 per minute",
        "SSPF_LOGIN_ACCOUNT_RATE_LIMIT": "100000 per minute",
        "PYTHONUNBUFFERED": "1",
    })
    env.update(extra)
    return env


def prepare_sspf(env: dict[str, str], *, seed: bool = True) -> None:
    """Migrate (``sspf db upgrade``) and optionally seed the demo data, as an operator would."""
    steps: list[list[str]] = [[str(VENV_BIN / "sspf"), "db", "upgrade"]]
    if seed:
        steps.append([str(VENV_BIN / "sspf"), "seed-demo"])
    for cmd in steps:
        proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
        if proc.returncode != 0:
            raise BenchError(f"{' '.join(cmd[-2:])} failed:\n{proc.stdout}\n{proc.stderr}")


# --------------------------------------------------------------------------------------------
# gunicorn


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class WorkerConfig:
    """How gunicorn serves: ``workers`` processes, each with ``threads`` (gthread when > 1).

    The default, four sync workers, measured best on two cores (bench/README.md).
    """

    workers: int = 4
    threads: int = 1

    @property
    def worker_class(self) -> str:
        return "gthread" if self.threads > 1 else "sync"

    def args(self) -> list[str]:
        return ["--workers", str(self.workers), "--threads", str(self.threads), "--worker-class", self.worker_class]

    def __str__(self) -> str:
        if self.threads > 1:
            return f"gthread -w {self.workers} --threads {self.threads}"
        return f"sync -w {self.workers}"

    @classmethod
    def parse(cls, text: str) -> WorkerConfig:
        """``"2x8"`` is 2 workers of 8 threads (gthread); ``"4"`` or ``"4x1"`` is 4 sync workers."""
        workers, _, threads = text.partition("x")
        return cls(int(workers), int(threads or 1))


class Gunicorn:
    """A gunicorn serving ``app`` (a gunicorn app spec) on a free loopback port.

    It runs in a process group of its own, so :meth:`stop` ends the master and every worker even
    if the master is wedged; leaving the ``with`` block, an exception or Ctrl-C all stop it.
    """

    def __init__(self, app: str, env: dict[str, str], *, workers: WorkerConfig, cwd: Path = REPO,
                 pythonpath: Sequence[Path] = (), health_path: str = "/healthz", timeout: float = 60.0,
                 extra_args: Sequence[str] = ()) -> None:
        self.app, self.env, self.workers, self.cwd = app, env, workers, cwd
        self.pythonpath, self.health_path, self.timeout, self.extra_args = pythonpath, health_path, timeout, extra_args
        self.port = 0
        self.proc: subprocess.Popen | None = None
        self._log = tempfile.NamedTemporaryFile(prefix="bench-gunicorn-", suffix=".log", delete=False)  # noqa: SIM115

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pgid(self) -> int:
        """The process group of the master and its workers (the master's pid)."""
        if self.proc is None:
            raise BenchError("gunicorn is not running")
        return self.proc.pid

    def start(self) -> Gunicorn:
        self.port = free_port()
        cmd = [str(VENV_BIN / "gunicorn"), "--bind", f"127.0.0.1:{self.port}", *self.workers.args(),
               "--graceful-timeout", "5", "--log-level", "warning", "--error-logfile", "-"]
        for path in self.pythonpath:
            cmd += ["--pythonpath", str(path)]
        cmd += [*self.extra_args, self.app]
        self.proc = subprocess.Popen(cmd, cwd=self.cwd, env=self.env, stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        self._wait_healthy()
        return self

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + self.timeout
        url = self.base_url + self.health_path
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise BenchError(f"gunicorn ({self.app}) exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(url, timeout=2) as resp:  # noqa: S310 (loopback URL we built)
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.2)
        raise BenchError(f"gunicorn ({self.app}) did not answer {self.health_path} in {self.timeout:.0f} s:\n"
                         + self.log_tail())

    def log_tail(self, lines: int = 40) -> str:
        self._log.flush()
        text = Path(self._log.name).read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            _signal_group(proc, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                _signal_group(proc, signal.SIGKILL)
                proc.wait(timeout=10)
        if proc is not None:
            # Workers may outlive a master that died first; the group still names them.
            _signal_group(proc, signal.SIGKILL)

    def close(self) -> None:
        self.stop()
        self._log.close()
        Path(self._log.name).unlink(missing_ok=True)

    def __enter__(self) -> Gunicorn:
        try:
            return self.start()
        except BaseException:
            self.close()
            raise

    def __exit__(self, *exc: object) -> None:
        self.close()


def _signal_group(proc: subprocess.Popen, sig: signal.Signals) -> None:
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)  # the group was created for this process (start_new_session)


@contextmanager
def interrupt_as_exception() -> Iterator[None]:
    """Turn SIGTERM into KeyboardInterrupt so ``with``/``finally`` clean-ups run as on Ctrl-C."""
    def handler(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


# --------------------------------------------------------------------------------------------
# Logging in


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


@dataclass
class Page:
    status: int
    body: str
    location: str | None = None


class Browser:
    """A minimal cookie-keeping client (no redirects followed, so each step is checked)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect())

    def request(self, path: str, data: dict[str, str] | None = None, headers: dict[str, str] | None = None) -> Page:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(self.base_url + path, data=body, headers=headers or {})  # noqa: S310 (loopback)
        try:
            with self.opener.open(req, timeout=30) as resp:
                return Page(resp.status, resp.read().decode("utf-8", "replace"), resp.headers.get("Location"))
        except urllib.error.HTTPError as err:  # 3xx (not followed) and 4xx/5xx land here
            return Page(err.code, err.read().decode("utf-8", "replace"), err.headers.get("Location"))

    def cookie(self, name: str) -> str | None:
        return next((c.value for c in self.jar if c.name == name), None)


CSRF_RE = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"'
                     r'|<input[^>]*value="([^"]+)"[^>]*name="csrf_token"')


def csrf_token(html: str) -> str:
    match = CSRF_RE.search(html)
    if not match:
        raise BenchError("no csrf_token hidden input on the page")
    return match.group(1) or match.group(2)


def login(base_url: str, username: str, password: str, *, expect: str | None = None,
          cookie_name: str = "sspf") -> tuple[str, str]:
    """Log in through the real form; return ``(cookie value, start page HTML)``.

    The start page is fetched once with the new cookie and must answer 200 (not the redirect to
    /login an unaccepted cookie gives) and contain ``expect`` if given. The cookie returned is the
    one after that page, so it already holds the CSRF token a browser would keep, and a load test
    with it does not make the app mint a new one on every request.
    """
    browser = Browser(base_url)
    form = browser.request("/login")
    if form.status != 200:
        raise BenchError(f"GET /login answered {form.status}")
    done = browser.request("/login", {"csrf_token": csrf_token(form.body), "username": username,
                                      "password": password})
    if done.status not in (302, 303) or not done.location or "/login" in done.location:
        raise BenchError(f"login as {username!r} failed: POST /login answered {done.status} -> {done.location}")
    start = browser.request("/")
    if start.status != 200:
        raise BenchError(f"GET / after login answered {start.status} -> {start.location}: the cookie was not accepted")
    if expect is not None and expect not in start.body:
        raise BenchError(f"the start page does not contain {expect!r}")
    cookie = browser.cookie(cookie_name)
    if not cookie:
        raise BenchError(f"no {cookie_name!r} cookie after login")
    return cookie, start.body


# --------------------------------------------------------------------------------------------
# CPU accounting (Linux /proc): who used the cores while a load ran
#
# The machine is small and shared, so req/s alone can mislead: the CPU the server spent per
# request is steadier, and the cores other processes took during the run tell whether the
# figures were disturbed.

_HZ = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _proc_stat(pid: str) -> tuple[str, int, float] | None:
    """(command, process group, CPU seconds) of ``pid``, or None once it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    comm = raw[raw.index("(") + 1:raw.rindex(")")]
    fields = raw[raw.rindex(")") + 2:].split()
    return comm, int(fields[2]), (int(fields[11]) + int(fields[12])) / _HZ


def _all_procs() -> dict[str, tuple[str, int, float]]:
    out = {}
    for pid in os.listdir("/proc"):
        if pid.isdigit() and (stat := _proc_stat(pid)) is not None:
            out[pid] = stat
    return out


def _busy_seconds() -> float:
    """CPU seconds all cores spent not idle since boot."""
    try:
        values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except OSError:
        return 0.0
    return (sum(values[:8]) - values[3] - values[4]) / _HZ  # minus idle and iowait; guest is inside user


def busy_cores(seconds: float = 1.0) -> float:
    """How many cores the whole machine kept busy over the next ``seconds``."""
    before = _busy_seconds()
    time.sleep(seconds)
    return (_busy_seconds() - before) / seconds


def wait_for_quiet(max_wait: float, *, threshold: float = 0.15, quiet_for: int = 2) -> float:
    """Wait up to ``max_wait`` seconds until the machine is idle (< ``threshold`` busy cores for
    ``quiet_for`` consecutive seconds); return the last load seen. On a shared machine this keeps
    someone else's test run out of the figures; with ``max_wait`` 0 it only samples one second.
    """
    deadline = time.monotonic() + max_wait
    streak, told = 0, False
    while True:
        load = busy_cores()
        streak = streak + 1 if load < threshold else 0
        if streak >= quiet_for or time.monotonic() >= deadline:
            return load
        if not told and load >= threshold:
            print(f"    waiting up to {max_wait:.0f} s for other load ({load:.2f} cores) to stop ...", flush=True)
            told = True


@dataclass
class CpuSnapshot:
    busy: float
    procs: dict[str, tuple[str, int, float]]
    children: float

    @classmethod
    def take(cls) -> CpuSnapshot:
        import resource

        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return cls(_busy_seconds(), _all_procs(), usage.ru_utime + usage.ru_stime)


@dataclass
class CpuUse:
    """CPU seconds used during one measurement, split by who used them."""

    server: float = 0.0  #: the gunicorn process group(s) given
    database: float = 0.0  #: every ``postgres`` process
    loadgen: float = 0.0  #: wrk (a child of this process)
    total: float = 0.0  #: all cores, everything


def cpu_between(before: CpuSnapshot, after: CpuSnapshot, server_pgids: Sequence[int]) -> CpuUse:
    use = CpuUse(total=after.busy - before.busy, loadgen=after.children - before.children)
    for pid, (comm, pgid, cpu) in after.procs.items():
        old = before.procs.get(pid)
        spent = cpu - (old[2] if old and old[0] == comm else 0.0)
        if pgid in server_pgids:
            use.server += spent
        elif comm == "postgres":
            use.database += spent
    return use


# --------------------------------------------------------------------------------------------
# Load generation with wrk

#: Counts status codes per wrk thread and prints one JSON line with the totals and percentiles.
WRK_SCRIPT = r"""
local threads = {}
function setup(thread)
  table.insert(threads, thread)
end
function init(args)
  non2xx = 0
  redirects = 0
end
function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    if status >= 300 and status < 400 then redirects = redirects + 1 end
  end
end
function done(summary, latency, requests)
  local n, r = 0, 0
  for _, t in ipairs(threads) do
    n = n + t:get("non2xx")
    r = r + t:get("redirects")
  end
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %d, "duration_us": %d, "bytes": %d, "non2xx": %d, "redirects": %d, ' ..
    '"connect_errors": %d, "read_errors": %d, "write_errors": %d, "timeouts": %d, ' ..
    '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f}\n',
    summary.requests, summary.duration, summary.bytes, n, r, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
"""


@dataclass
class LoadResult:
    name: str
    requests: int
    duration_s: float
    non2xx: int
    redirects: int
    socket_errors: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    raw: dict = field(default_factory=dict, repr=False)
    cpu: CpuUse | None = None

    @property
    def rps(self) -> float:
        return self.requests / self.duration_s if self.duration_s else 0.0

    @property
    def server_cpu_ms(self) -> float | None:
        """Server CPU per request (ms): steadier than req/s on a shared machine."""
        return self.cpu.server * 1000 / self.requests if self.cpu and self.requests else None

    @property
    def other_cores(self) -> float | None:
        """Cores used by processes that are neither server, database nor wrk during the run."""
        if self.cpu is None or not self.duration_s:
            return None
        c = self.cpu
        return max(0.0, c.total - c.server - c.database - c.loadgen) / self.duration_s


def wrk_path() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise BenchError(WRK_INSTALL_HINT)
    return path


def parse_wrk(name: str, output: str) -> LoadResult:
    line = next((ln for ln in output.splitlines() if ln.startswith("WRKJSON ")), None)
    if line is None:
        raise BenchError(f"wrk printed no result line:\n{output}")
    data = json.loads(line.removeprefix("WRKJSON "))
    return LoadResult(
        name=name, requests=data["requests"], duration_s=data["duration_us"] / 1e6, non2xx=data["non2xx"],
        redirects=data["redirects"],
        socket_errors=data["connect_errors"] + data["read_errors"] + data["write_errors"] + data["timeouts"],
        p50_ms=data["p50_us"] / 1000, p90_ms=data["p90_us"] / 1000, p99_ms=data["p99_us"] / 1000,
        max_ms=data["max_us"] / 1000, raw=data,
    )


def run_wrk(name: str, url: str, *, duration: float, connections: int, threads: int = 2,
            headers: dict[str, str] | None = None, timeout: float = 10.0,
            server_pgids: Sequence[int] = ()) -> LoadResult:
    """Run wrk against ``url`` for ``duration`` seconds with ``connections`` open connections.

    ``server_pgids`` (e.g. ``[Gunicorn.pgid]``) name the server's process groups for the CPU
    accounting in :attr:`LoadResult.cpu`.
    """
    with tempfile.NamedTemporaryFile("w", prefix="bench-wrk-", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT)
    try:
        cmd = [wrk_path(), "--latency", "-t", str(max(1, min(threads, connections))), "-c", str(connections),
               "-d", f"{max(1, round(duration))}s", "--timeout", f"{timeout:g}s", "-s", script.name]
        for key, value in (headers or {}).items():
            cmd += ["-H", f"{key}: {value}"]
        cmd.append(url)
        before = CpuSnapshot.take()
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + timeout + 60)
        after = CpuSnapshot.take()
    finally:
        os.unlink(script.name)
    if proc.returncode != 0:
        raise BenchError(f"wrk failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    result = parse_wrk(name, proc.stdout)
    result.cpu = cpu_between(before, after, server_pgids)
    return result


def median_result(runs: Sequence[LoadResult]) -> LoadResult:
    """The run with the median req/s stands for all of them; failures of every run are added up.

    Taking one real run (rather than the median of each column) keeps its figures consistent
    with each other (req/s, latencies and CPU come from the same ten seconds).
    """
    if not runs:
        raise ValueError("no runs")
    ordered = sorted(runs, key=lambda r: r.rps)
    pick = ordered[(len(ordered) - 1) // 2]
    return replace(pick, non2xx=sum(r.non2xx for r in runs), redirects=sum(r.redirects for r in runs),
                   socket_errors=sum(r.socket_errors for r in runs))


def format_table(results: Sequence[LoadResult], baseline: LoadResult | None = None) -> str:
    """A plain-text table: endpoint, req/s, p50, p99, non-2xx, socket errors, the ratio to
    ``baseline``'s req/s, the server's CPU ms per request and the cores other processes took."""
    header = (f"{'endpoint':<24} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>7} {'errors':>6} "
              f"{'vs bare':>7} {'cpu ms/req':>10} {'other load':>10}")
    lines = [header, "-" * len(header)]
    for r in results:
        ratio = f"{r.rps / baseline.rps:.0%}" if baseline and baseline.rps else "-"
        cpu = f"{r.server_cpu_ms:.2f}" if r.server_cpu_ms is not None else "-"
        other = f"{r.other_cores:.2f} cores" if r.other_cores is not None else "-"
        lines.append(f"{r.name:<24} {r.rps:8.1f} {r.p50_ms:8.2f} {r.p99_ms:8.2f} {r.non2xx:7d} {r.socket_errors:6d} "
                     f"{ratio:>7} {cpu:>10} {other:>10}")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# The bare reference app (runs inside gunicorn, not in the benchmark's process)


def create_bare_app():
    """A Flask app with one indexed SELECT per request, plain SQLAlchemy, no sspf code at all.

    ``BENCH_DATABASE_URL`` names the database and ``BENCH_BARE_USERNAME`` the user looked up;
    the pool is SQLAlchemy's default (no pre-ping), sized for gunicorn's threads.
    """
    from flask import Flask, abort
    from sqlalchemy import create_engine, text

    engine = create_engine(os.environ["BENCH_DATABASE_URL"], pool_size=int(os.environ.get("BENCH_POOL_SIZE", "10")),
                           max_overflow=10)
    username = os.environ.get("BENCH_BARE_USERNAME", "admin")
    query = text("SELECT id FROM users WHERE username = :u")
    app = Flask("bench_bare")

    @app.get("/bare")
    def bare():
        with engine.connect() as conn:
            user_id = conn.execute(query, {"u": username}).scalar()
        if user_id is None:
            abort(404)
        return {"id": str(user_id)}

    @app.get("/healthz")
    def healthz():
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return {"status": "ok"}

    return app
