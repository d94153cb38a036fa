"""With SSPF_REDIS_URL, separate app processes count login attempts in one place."""

from __future__ import annotations

import multiprocessing
import secrets
from pathlib import Path

import redis

from tests import factories
from tests.conftest import build_app, migrate_fresh, missing

REDIS_URL = "redis://127.0.0.1:6379/15"


def _attempts(url: str, instance: str, overrides: dict, n: int, results) -> None:
    app = build_app(url, Path(instance), **overrides)
    results.put([factories.login(app.test_client(), "someone", "fel lösenord 123").status_code for _ in range(n)])


def _run_in_processes(url: str, instance: Path, overrides: dict) -> list[int]:
    ctx = multiprocessing.get_context("fork")
    results = ctx.Queue()
    codes: list[int] = []
    for n in (2, 2):  # two processes one after the other, each with its own in-process state
        proc = ctx.Process(target=_attempts, args=(url, str(instance), overrides, n, results))
        proc.start()
        codes += results.get(timeout=60)
        proc.join(60)
    return codes


def test_separate_processes_share_the_account_throttle_through_redis(tmp_path):
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.RedisError:
        missing("no Redis at 127.0.0.1:6379")
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    limits = {"SSPF_LOGIN_ACCOUNT_RATE_LIMIT": "3 per minute", "SSPF_LOGIN_RATE_LIMIT": "100 per minute"}
    migrate_fresh(build_app(url, tmp_path))

    alone = _run_in_processes(url, tmp_path, {**limits, "RATELIMIT_STORAGE_URI": "memory://"})
    assert alone == [200, 200, 200, 200]  # without shared storage each process counts alone

    prefix = "sspf-test-" + secrets.token_hex(4)
    shared = _run_in_processes(url, tmp_path, {**limits, "SSPF_REDIS_URL": REDIS_URL,  # as in production
                                               "RATELIMIT_KEY_PREFIX": prefix})
    assert shared == [200, 200, 200, 429]
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(f"*{prefix}*"))
    assert keys
    client.delete(*keys)
