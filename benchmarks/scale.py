"""scale: ``mplat worker`` processes sharing one PostgreSQL activation log, one Redis
broker and one Redis rate store, against a loopback vendor fake.

1. The fake enforces a scaled-down quota (QUOTA_CALLS per QUOTA_SECONDS, QUOTA_CONCURRENT
   in flight, 429 beyond either); 1, 2 and 4 workers each run QUOTA_ACTIVATIONS
   activations. Printed: the share of the quota used (goal >= 0.95) and the 429s (goal 0).
2. The fake is unlimited and takes 50 ms per call; 1, 2 and 4 workers each run
   FREE_ACTIVATIONS activations. Printed: activations per second and the ratio to 1 worker.

Every worker is a real ``mplat worker`` (Celery, thread pool of WORKER_THREADS) in a
folder of its own with its own home, data and temporary folders: nothing but the
servers is shared, as between machines. The activations are recorded and enqueued by
``marketing_platform.worker.enqueue`` (what ``mplat activate --enqueue`` runs); each is
two vendor calls, a look-up (``GET /content?content_id=``) and a create (``POST
/content``), through the real adapter -> PlatformHTTP -> RateBudget path.

The adapter (:class:`ScalePlatform`) is registered in-process like ``adapter.py``'s: the
workers run ``python -m benchmarks.scale mplat ARGS``, which registers it in the default
registry and then runs the ``mplat`` command line (the end-to-end tests in
``tests/scale`` use the same fake, adapter and launcher).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs

from pydantic_settings import SettingsConfigDict

from marketing_platform.models import CampaignResponse, Content, PublishResponse
from marketing_platform.registry import Registry

from . import adapter
from .adapter import BenchPlatform, BenchSettings, parse
from .fake import VendorFake

ROOT = Path(__file__).resolve().parent.parent
PLATFORM = "scale"

QUOTA_CALLS = 40
QUOTA_SECONDS = 2.0
QUOTA_CONCURRENT = 5
QUOTA_LATENCY = 0.1
QUOTA_ACTIVATIONS = 100
FREE_LATENCY = 0.05
FREE_ACTIVATIONS = 400
WORKER_THREADS = 4
WORKER_COUNTS = (1, 2, 4)


# ---------------------------------------------------------------------- the fake
class ObjectFake(VendorFake):
    """:class:`~benchmarks.fake.VendorFake`'s quota (429 beyond it) plus objects: ``POST
    /content`` creates one for the body's content ``id`` the moment the request is
    admitted (before the latency, so a client killed while waiting cannot make a later
    look-up miss it); ``GET /content?content_id=ID`` finds them. Every object is kept,
    so a content created twice shows in :meth:`duplicates`."""

    def __init__(self, **limits: Any) -> None:
        super().__init__(**limits)
        self.objects: dict[str, list[dict[str, Any]]] = {}
        self.created_at: dict[str, list[float]] = {}  # wall time of each create, per content id
        self._count = 0

    def reset(self) -> None:
        super().reset()
        with self._lock:
            self.objects.clear()
            self.created_at.clear()

    def duplicates(self) -> dict[str, int]:
        """Content ids created more than once, and how many times."""
        with self._lock:
            return {cid: len(objs) for cid, objs in self.objects.items() if len(objs) > 1}

    def created(self) -> int:
        with self._lock:
            return sum(len(objs) for objs in self.objects.values())

    def _handle(self, method: str, path: str, query: str, body: bytes) -> tuple[str, Any]:
        if method == "POST" and path == "/content":
            payload = json.loads(body or b"{}")
            with self._lock:
                self._count += 1
                obj = {"id": f"obj-{self._count}", "content_id": payload.get("id"), "status": "published"}
                self.objects.setdefault(str(obj["content_id"]), []).append(obj)
                self.created_at.setdefault(str(obj["content_id"]), []).append(time.time())
            return "200 OK", obj
        if method == "GET" and path == "/content":
            wanted = parse_qs(query).get("content_id", [""])[0]
            with self._lock:
                return "200 OK", {"results": list(self.objects.get(wanted, []))}
        if method == "GET" and path.startswith("/content/"):
            ref = path.rsplit("/", 1)[-1]
            with self._lock:
                found = [o for objs in self.objects.values() for o in objs if o["id"] == ref]
            return ("200 OK", found[0]) if found else ("404 Not Found", {"error": "no such object"})
        if method == "POST" and path == "/campaigns":
            with self._lock:
                self._count += 1
                return "200 OK", {"id": f"campaign-{self._count}"}
        return "200 OK", {}

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        violated = self._admit()
        if violated is not None:
            start_response(
                "429 Too Many Requests", [("Content-Type", "application/json"), ("Retry-After", "1")]
            )
            return [json.dumps({"error": f"rate limit ({violated})"}).encode()]
        try:
            status, reply = self._handle(
                environ["REQUEST_METHOD"], environ["PATH_INFO"], environ.get("QUERY_STRING", ""), body
            )
            if self.latency:
                time.sleep(self.latency)
        finally:
            with self._lock:
                self._in_flight -= 1
        start_response(status, [("Content-Type", "application/json")])
        return [json.dumps(reply).encode()]


# ------------------------------------------------------------------- the adapter
class ScaleSettings(BenchSettings):
    model_config = SettingsConfigDict(env_prefix="SCALE_", extra="ignore")


class ScalePlatform(BenchPlatform):
    """The benchmark adapter plus a look-up: an activation run again (a killed worker's,
    a replay) finds the object it created instead of creating a second one. No
    ``Capability.SCHEDULING``: a future ``schedule_at`` is the task's ETA."""

    name: ClassVar[str] = PLATFORM
    settings_model = ScaleSettings
    settings: ScaleSettings

    def find_content(self, content: Content, campaign: CampaignResponse | None) -> PublishResponse | None:
        data = self.http.call("GET", "/content", parse, params={"content_id": content.id})
        found = data.get("results") or []
        if not found:
            return None
        return PublishResponse(
            platform=self.name, external_id=found[0]["id"], content_id=content.id, status=found[0]["status"]
        )


def register(registry: Registry) -> None:
    """Make :class:`ScalePlatform` available as ``scale`` in ``registry``."""
    adapter.register(registry, ScalePlatform)


def content(i: int, **fields: Any) -> dict[str, Any]:
    """The content file data of activation ``i``."""
    return {
        "id": f"scale-{i:05d}",
        "kind": "blog_post",
        "title": f"Scale post {i}",
        "body": f"<p>Post number {i}.</p>",
        **fields,
    }


def write_contents(folder: Path, count: int, **fields: Any) -> Path:
    """``count`` content files (JSON) in ``folder``; the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        (folder / f"post-{i:05d}.json").write_text(json.dumps(content(i, **fields)), encoding="utf-8")
    return folder


# --------------------------------------------------------------------- machines
def mplat_command(*args: str) -> list[str]:
    """``mplat ARGS`` with :class:`ScalePlatform` registered (this module as launcher)."""
    return [sys.executable, "-m", "benchmarks.scale", "mplat", *args]


def machine_env(folder: Path, values: dict[str, str]) -> dict[str, str]:
    """The environment of a process on its own "machine" ``folder``: its own home, data,
    cache and temporary folders there, this checkout's code, no ``MARKETING_PLATFORM_*``
    / ``SCALE_*`` from outside, and the settings ``values``."""
    own = {}
    for name, sub in {"HOME": "home", "XDG_DATA_HOME": "data", "XDG_CACHE_HOME": "cache",
                      "XDG_CONFIG_HOME": "config", "TMPDIR": "tmp"}.items():  # fmt: skip
        (folder / sub).mkdir(parents=True, exist_ok=True)
        own[name] = str(folder / sub)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MARKETING_PLATFORM", "SCALE_"))}
    path = [str(ROOT), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    return {**env, **own, "PYTHONPATH": os.pathsep.join(path), "PYTHONDONTWRITEBYTECODE": "1", **values}


def settings(
    *,
    log: str,
    broker: str,
    rate_store: str,
    base_url: str,
    rate: str,
    concurrent: int,
    lease_seconds: float = 60,
) -> dict[str, str]:
    """The settings every machine shares (they would be each machine's ``.env``)."""
    return {
        "MARKETING_PLATFORM": PLATFORM,
        "MARKETING_PLATFORM_LOG": log,
        "MARKETING_PLATFORM_BROKER": broker,
        "MARKETING_PLATFORM_RATE_STORE": rate_store,
        "MARKETING_PLATFORM_LEASE_SECONDS": f"{lease_seconds:g}",
        "SCALE_BASE_URL": base_url,
        "SCALE_RATE_LIMIT": rate,
        "SCALE_MAX_CONCURRENT": str(concurrent),
    }


class Worker:
    """One ``mplat worker`` on its own machine folder (output in ``worker.log`` there)."""

    def __init__(
        self,
        folder: Path,
        name: str,
        shared: dict[str, str],
        *,
        threads: int = WORKER_THREADS,
        options: Sequence[str] = (),
    ) -> None:
        self.folder, self.name = folder, name
        folder.mkdir(parents=True, exist_ok=True)
        self.output = folder / "worker.log"
        with self.output.open("wb") as out:
            self.process = subprocess.Popen(
                mplat_command(
                    "worker",
                    f"--concurrency={threads}",
                    "--loglevel=warning",
                    f"--hostname={name}@%h",
                    *options,
                ),
                cwd=folder,
                env=machine_env(folder, shared),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        self.node = f"{name}@{socket.gethostname()}"

    @property
    def pid(self) -> int:
        return self.process.pid

    def cpu_seconds(self) -> float:
        """CPU time the worker used so far (user + system; Linux ``/proc``, else 0)."""
        stat = Path(f"/proc/{self.pid}/stat")
        if not stat.exists():
            return 0.0
        fields = stat.read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def kill(self) -> None:
        """SIGKILL: the machine dies mid-run (no warm shutdown, nothing acknowledged)."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self, timeout: float = 20) -> None:
        """Warm shutdown (SIGTERM: running tasks finish), SIGKILL if it takes too long."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()

    def tail(self, chars: int = 3000) -> str:
        text = self.output.read_text(errors="replace") if self.output.exists() else ""
        return f"--- {self.name} (pid {self.pid}, exit {self.process.poll()}):\n{text[-chars:]}"


@contextmanager
def workers(root: Path, count: int, shared: dict[str, str], **options: Any) -> Iterator[list[Worker]]:
    """``count`` workers on machine folders ``root/machine-N``, ready (they answered a
    ping over the broker) when the block starts, stopped after it."""
    started = [Worker(root / f"machine-{i + 1}", f"w{i + 1}", shared, **options) for i in range(count)]
    try:
        wait_ready(shared["MARKETING_PLATFORM_BROKER"], started)
        yield started
    except BaseException:
        print("\n".join(worker.tail() for worker in started))  # what the workers said, for the failure
        raise
    finally:
        for worker in started:
            worker.stop()


def wait_ready(broker: str, started: Sequence[Worker], timeout: float = 60) -> None:
    """Until every worker of ``started`` answers a ping; raises with their output if one
    exits or the deadline passes."""
    from marketing_platform.worker import make_app

    app = make_app(broker)
    try:
        deadline = time.monotonic() + timeout
        waiting = {w.node for w in started}
        while waiting:
            dead = [w for w in started if w.process.poll() is not None]
            if dead or time.monotonic() > deadline:
                what = "exited" if dead else f"did not answer a ping within {timeout:g} s"
                raise RuntimeError(f"worker(s) {what}:\n" + "\n".join(w.tail() for w in dead or started))
            for reply in app.control.ping(timeout=0.5) or []:
                waiting -= set(reply)
    finally:
        app.close()


def wait_for(condition: Callable[[], Any], timeout: float, what: str, *, every: float = 0.05) -> Any:
    """Poll ``condition`` until it returns something true (returned) or ``timeout``
    seconds pass (TimeoutError naming ``what``)."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {timeout:g} s for {what}")
        pause.wait(every)


class LogReader:
    """Reads the shared PostgreSQL activation log directly (one connection)."""

    def __init__(self, url: str) -> None:
        import psycopg

        self.db = psycopg.connect(url, autocommit=True)

    def states(self) -> Counter[str]:
        rows = self.db.execute("SELECT state, count(*) FROM activations GROUP BY state").fetchall()
        return Counter({state: count for state, count in rows})

    def leased_by(self, pid: int) -> list[str]:
        """Activations running under a lease of the process ``pid`` (this host) now."""
        rows = self.db.execute(
            "SELECT id FROM activations WHERE state='in_progress' AND lease_owner LIKE %s"
            " AND lease_until > clock_timestamp()",
            (f"{socket.gethostname()}:{pid}:%",),
        ).fetchall()
        return [row[0] for row in rows]

    def idle(self, seconds: float) -> bool:
        """Whether no activation was written for ``seconds`` (by the server's clock)."""
        row = self.db.execute(
            "SELECT bool_and(updated_at < clock_timestamp() - make_interval(secs => %s)) FROM activations",
            (seconds,),
        ).fetchone()
        return bool(row and row[0])

    def rows(self) -> list[dict[str, Any]]:
        from psycopg.rows import dict_row

        with self.db.cursor(row_factory=dict_row) as cursor:
            cursor.execute(
                "SELECT id, content_id, state, attempts, error, started_at, finished_at FROM activations"
            )
            return cursor.fetchall()

    def close(self) -> None:
        self.db.close()


# ------------------------------------------------------------------- benchmark
def _enqueue(log_url: str, broker: str, count: int) -> None:
    """Record and enqueue ``count`` activations, as ``mplat activate --enqueue`` does."""
    from marketing_platform.activation import Activator, Job
    from marketing_platform.log import open_activation_log
    from marketing_platform.registry import Registry
    from marketing_platform.worker import enqueue, make_app

    registry = Registry()
    register(registry)
    app = make_app(broker)
    jobs = [Job(Content.model_validate(content(i)), PLATFORM) for i in range(count)]
    with Activator(registry=registry, activation_log=open_activation_log(log_url)) as activator:
        enqueue(activator, jobs, app)
    app.close()


@dataclass
class _Servers:
    tmp: Path
    postgres: str  # postgresql://... without a database
    redis: str  # redis://host:port without a database


def _variant(
    servers: _Servers, label: str, workers_count: int, count: int, fake: ObjectFake, **budget: Any
) -> tuple[float, float]:
    """Run ``count`` activations on ``workers_count`` fresh workers (a new database, an
    empty Redis); the seconds from the first enqueue to the last finish, and the
    workers' CPU seconds meanwhile."""
    import redis

    from ._postgres import create_database
    from ._server import serve

    for db in (0, 1):
        redis.Redis.from_url(f"{servers.redis}/{db}").flushdb()
    log_url = create_database(servers.postgres, label)
    broker, store = f"{servers.redis}/0", f"{servers.redis}/1"
    with serve(fake) as base_url:
        shared = settings(log=log_url, broker=broker, rate_store=store, base_url=base_url, **budget)
        with workers(servers.tmp / label, workers_count, shared) as running:
            cpu = -sum(w.cpu_seconds() for w in running)
            started = time.perf_counter()
            _enqueue(log_url, broker, count)
            reader = LogReader(log_url)
            try:
                finished = wait_for(lambda: _finished(reader, count), 300, f"{count} activations", every=0.02)
                elapsed = time.perf_counter() - started
                cpu += sum(w.cpu_seconds() for w in running)
            finally:
                reader.close()
    if finished != {"succeeded": count} or fake.duplicates():
        print(f"   !! {label}: final states {dict(finished)}, duplicates {fake.duplicates()}", flush=True)
    return elapsed, cpu


def _finished(reader: LogReader, count: int) -> Counter[str] | None:
    """The final states once all ``count`` activations ended, else None."""
    states = reader.states()
    ended = sum(n for state, n in states.items() if state not in {"pending", "in_progress"})
    return states if ended >= count else None


def run() -> None:
    from ._postgres import missing as postgres_missing
    from ._postgres import postgres_server
    from ._redis import missing as redis_missing
    from ._redis import redis_server

    reason = redis_missing() or postgres_missing()
    if reason:
        print(f"   skipped: {reason}")
        return
    print(
        f"   each worker: mplat worker --concurrency={WORKER_THREADS} in its own folder; PostgreSQL log,"
        " Redis broker and rate store; 2 vendor calls (look-up, create) per activation",
        flush=True,
    )
    with tempfile.TemporaryDirectory() as tmp, postgres_server() as postgres:
        (Path(tmp) / "redis").mkdir()
        with redis_server(Path(tmp) / "redis") as redis_url:
            servers = _Servers(Path(tmp), postgres, redis_url.rsplit("/", 1)[0])
            _quota(servers)
            _unlimited(servers)


def _quota(servers: _Servers) -> None:
    allowed = QUOTA_CALLS / QUOTA_SECONDS
    print(
        f"   fake quota: {QUOTA_CALLS} calls / {QUOTA_SECONDS:g} s, {QUOTA_CONCURRENT} concurrent,"
        f" {QUOTA_LATENCY * 1000:.0f} ms per call; {QUOTA_ACTIVATIONS} activations per variant",
        flush=True,
    )
    for n in WORKER_COUNTS:
        fake = ObjectFake(
            calls=QUOTA_CALLS,
            per_seconds=QUOTA_SECONDS,
            max_concurrent=QUOTA_CONCURRENT,
            latency=QUOTA_LATENCY,
        )
        rate = f"{QUOTA_CALLS}/{QUOTA_SECONDS:g}"
        elapsed, _ = _variant(
            servers, f"quota_{n}", n, QUOTA_ACTIVATIONS, fake, rate=rate, concurrent=QUOTA_CONCURRENT
        )
        achieved = fake.achieved_rate()
        print(
            f"   {n} worker{'s' if n > 1 else ' '}  {len(fake.accepted)} calls in {elapsed:4.1f} s:"
            f" achieved {achieved:5.2f}/s of allowed {allowed:.2f}/s"
            f" = {achieved / allowed:.3f} (goal >= 0.95); limit answers {fake.violations} (goal 0);"
            f" peak concurrency {fake.peak_concurrency}/{QUOTA_CONCURRENT}",
            flush=True,
        )


def _unlimited(servers: _Servers) -> None:
    print(
        f"   unlimited fake, {FREE_LATENCY * 1000:.0f} ms per call;"
        f" {FREE_ACTIVATIONS} activations per variant",
        flush=True,
    )
    base = 0.0
    for n in WORKER_COUNTS:
        fake = ObjectFake(latency=FREE_LATENCY)
        elapsed, cpu = _variant(
            servers, f"free_{n}", n, FREE_ACTIVATIONS, fake, rate="100000/1", concurrent=1000
        )
        rate = FREE_ACTIVATIONS / elapsed
        base = base or rate
        print(
            f"   {n} worker{'s' if n > 1 else ' '}  {FREE_ACTIVATIONS} activations in {elapsed:4.1f} s ="
            f" {rate:5.1f}/s; ratio to 1 worker {rate / base:.2f}; worker CPU"
            f" {cpu * 1000 / FREE_ACTIVATIONS:.1f} ms per activation",
            flush=True,
        )


def _mplat(argv: list[str]) -> None:
    """``mplat ARGV`` with :class:`ScalePlatform` registered in the default registry."""
    from marketing_platform.cli import main
    from marketing_platform.registry import default_registry

    register(default_registry())
    main(argv, prog_name="mplat")


if __name__ == "__main__":
    if sys.argv[1:2] == ["mplat"]:
        _mplat(sys.argv[2:])
    else:
        run()
