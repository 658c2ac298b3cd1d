"""A throw-away PostgreSQL cluster for tests, or the one named by LIQWATCH_TEST_PG.

`start()` returns a server DSN (database "postgres"); `fresh_database(dsn)` creates an empty
database on it and returns that database's DSN. The cluster is made with Debian's binaries
(/usr/lib/postgresql/*/bin: initdb, pg_ctl), listens on a free 127.0.0.1 port only, lives in a
temp dir and is stopped by `stop()`. initdb refuses to run as root: as root, the binaries run as
the `postgres` system user (runuser) in a temp dir that user owns.

When no cluster can be started, `Unavailable` says why: tests skip with that message, except
under CI (env CI set), where they fail, because CI must run them.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path
from urllib.parse import quote, urlencode

import psycopg

ENV_DSN = "LIQWATCH_TEST_PG"


class Unavailable(Exception):
    """No PostgreSQL server for the tests (the message says why)."""


class Cluster:
    def __init__(self, dsn: str, root: Path | None = None, bin_dir: Path | None = None, user: str | None = None):
        self.dsn = dsn
        self.root = root
        self.bin_dir = bin_dir
        self.user = user

    def stop(self) -> None:
        if self.root is None or self.bin_dir is None:
            return
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            _run(self.user, [str(self.bin_dir / "pg_ctl"), "-D", str(self.root / "data"), "-m", "immediate", "stop"])
        shutil.rmtree(self.root, ignore_errors=True)


def _run(user: str | None, argv: list[str]) -> subprocess.CompletedProcess[str]:
    if user is not None:
        argv = ["runuser", "-u", user, "--", *argv]
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(*, durable: bool = False) -> Cluster:
    """The LIQWATCH_TEST_PG server, else a new throw-away cluster; Unavailable when neither.

    durable: keep PostgreSQL's default fsync / synchronous_commit (benchmarks); tests turn them off.
    """
    given = os.environ.get(ENV_DSN)
    if given:
        try:
            with psycopg.connect(given, connect_timeout=5, autocommit=True):
                pass
        except psycopg.Error as exc:
            raise Unavailable(f"{ENV_DSN} is set but the server does not answer: {exc}") from None
        return Cluster(given)
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    bin_dir = Path(found[-1]).parent if found else None
    if bin_dir is None:
        initdb = shutil.which("initdb")
        if initdb is None:
            raise Unavailable("no PostgreSQL binaries (apt-get install postgresql, or set LIQWATCH_TEST_PG=DSN)")
        bin_dir = Path(initdb).parent
    user: str | None = None
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            raise Unavailable("running as root and there is no `postgres` user to run initdb as") from None
        user = "postgres"
    root = Path(tempfile.mkdtemp(prefix="liqwatch-pg-"))
    if user is not None:
        shutil.chown(root, user=user)
    port = _free_port()
    data = root / "data"
    steps = [
        [str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "--no-locale", "-E", "UTF8"],
        [
            str(bin_dir / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(root / "server.log"),
            "-w",
            "-t",
            "30",
            "-o",
            # Loopback only, socket in the temp dir; fsync off: a test cluster never needs durability.
            f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c max_connections=100"
            + ("" if durable else " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"),
            "start",
        ],
    ]
    for argv in steps:
        try:
            done = _run(user, argv)
        except (OSError, subprocess.SubprocessError) as exc:
            shutil.rmtree(root, ignore_errors=True)
            raise Unavailable(f"{Path(argv[0]).name} failed to run: {exc}") from None
        if done.returncode != 0:
            log = (root / "server.log").read_text() if (root / "server.log").exists() else ""
            shutil.rmtree(root, ignore_errors=True)
            detail = (done.stderr or done.stdout or log).strip().splitlines()
            raise Unavailable(f"{Path(argv[0]).name} failed: {detail[-1] if detail else done.returncode}")
    return Cluster(f"postgresql://postgres@127.0.0.1:{port}/postgres", root, bin_dir, user)


def fresh_database(server_dsn: str, prefix: str = "liqwatch_test") -> str:
    """Create an empty database on the server; returns its DSN."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server_dsn, autocommit=True) as con:
        con.execute(f'CREATE DATABASE "{name}"')
    return with_database(server_dsn, name)


def with_database(dsn: str, name: str) -> str:
    """The postgresql:// URL of database `name` on the server of `dsn` (a URL or key=value string)."""
    info = {k: str(v) for k, v in psycopg.conninfo.conninfo_to_dict(dsn).items() if v is not None}
    info.pop("dbname", None)
    auth = quote(info.pop("user", ""), safe="")
    if "password" in info:
        auth += ":" + quote(info.pop("password"), safe="")
    host = info.pop("host", "127.0.0.1")
    port = info.pop("port", "5432")
    query = urlencode(info)
    return f"postgresql://{auth + '@' if auth else ''}{host}:{port}/{name}" + (f"?{query}" if query else "")
