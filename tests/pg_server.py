"""A real PostgreSQL server for the PostgreSQL test run (`PIPELINE_TEST_ENGINE=postgresql`).

One server per test process (each pytest-xdist worker starts its own on first use: nothing to
share or lock between workers), in a temporary folder, listening on 127.0.0.1 only, with
durability off since its data is thrown away. Each test database is a copy of one template
migrated once (`CREATE DATABASE ... TEMPLATE`), like the SQLite run copies a migrated file.
"""

from __future__ import annotations

import ctypes
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

#: The server refuses to run as root: as root, it runs as this user.
SERVICE_USER = "postgres"
SUPERUSER = "postgres"
#: Each server's temporary folder, and the file in it naming the test process that owns it.
PREFIX = "pipeline-bot-pg-"
OWNER = "owner.pid"
_PR_SET_PDEATHSIG = 1


def find_binary(name: str) -> str:
    """`initdb`, `pg_ctl` or `postgres`: from PATH, else from Debian's
    /usr/lib/postgresql/<version>/bin (the newest version)."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
        key=lambda p: int(Path(p).parent.parent.name.split(".")[0]),
    )
    if not candidates:
        raise RuntimeError(
            f"PostgreSQL's {name} not found in PATH or /usr/lib/postgresql/*/bin: "
            "install PostgreSQL (apt-get install postgresql) for the PostgreSQL test run"
        )
    return candidates[-1]


def _remove_abandoned() -> None:
    """The folders of servers whose test process is gone (a killed run: its server quit with
    it, see `_die_with_parent`, but could not remove its folder)."""
    for folder in Path(tempfile.gettempdir()).glob(f"{PREFIX}*"):
        if all(not _alive(folder / name) for name in (OWNER, "data/postmaster.pid")):
            shutil.rmtree(folder, ignore_errors=True)


def _alive(pid_file: Path) -> bool:
    """Whether the process a pid file names runs; a file not there names none."""
    try:
        os.kill(int(pid_file.read_text().split()[0]), 0)
    except FileNotFoundError:
        return pid_file.name == OWNER  # a folder without its owner's file is not ours to remove
    except ProcessLookupError:
        return False
    except (OSError, ValueError, IndexError):
        return True  # another user's, or unreadable: left alone
    return True


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _die_with_parent() -> None:
    """In the server's process before exec (Linux): quit at once if the test process dies (a
    killed run leaves no server behind)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGQUIT, 0, 0, 0)


class PgServer:
    """initdb + postgres in a temporary folder; `url(name)` for a database on it."""

    def __init__(self) -> None:
        _remove_abandoned()
        self.folder = Path(tempfile.mkdtemp(prefix=PREFIX))
        (self.folder / OWNER).write_text(str(os.getpid()))
        self.data = self.folder / "data"
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self._run_as: dict[str, Any] = {}
        self._template: str | None = None
        if os.geteuid() == 0:
            self._run_as = self._service_user()
            os.chown(self.folder, self._run_as["user"], self._run_as["group"])

    def _service_user(self) -> dict[str, Any]:
        try:
            entry = pwd.getpwnam(SERVICE_USER)
        except KeyError:
            subprocess.run(["useradd", "--system", SERVICE_USER], check=True)
            entry = pwd.getpwnam(SERVICE_USER)
        return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}

    def start(self) -> PgServer:
        """initdb, then postgres on a free port (a port taken meanwhile: another one)."""
        done = subprocess.run(
            [find_binary("initdb"), "-D", str(self.data), "--auth=trust", "-E", "UTF8",
             "--locale=C", "-U", SUPERUSER, "--no-sync"],
            capture_output=True, text=True, cwd=self.folder, **self._run_as,
        )  # fmt: skip
        if done.returncode:
            raise RuntimeError(f"initdb failed: {done.stdout}{done.stderr}")
        for _ in range(5):
            self.port = _free_port()
            if self._launch():
                return self
        raise RuntimeError(f"PostgreSQL did not start: {self._log()}")

    def _launch(self) -> bool:
        settings = {
            "listen_addresses": "127.0.0.1",
            "port": str(self.port),
            "unix_socket_directories": str(self.folder),
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "shared_buffers": "32MB",
            "max_connections": "200",
            "log_min_messages": "warning",
        }
        args = [find_binary("postgres"), "-D", str(self.data)]
        for key, value in settings.items():
            args += ["-c", f"{key}={value}"]
        log = open(self.folder / "server.log", "ab")  # noqa: SIM115 - the server's own stdout
        self.process = subprocess.Popen(
            args, stdout=log, stderr=subprocess.STDOUT, cwd=self.folder,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None, **self._run_as,
        )  # fmt: skip
        log.close()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            if self._accepts():
                return True
            time.sleep(0.05)
        self.stop()
        return False

    def _accepts(self) -> bool:
        import psycopg

        try:
            psycopg.connect(self.url("postgres"), connect_timeout=2).close()
        except psycopg.OperationalError:
            return False
        return True

    def _log(self) -> str:
        path = self.folder / "server.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""

    def url(self, name: str) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{name}"

    def admin(self, sql: str) -> None:
        """One statement on the maintenance database, outside a transaction (CREATE/DROP
        DATABASE must be)."""
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(sql)  # type: ignore[arg-type]

    def new_database(self, migrate: Callable[[str], None]) -> str:
        """The URL of a new database copied from the template, which `migrate(url)` builds
        on the first call."""
        if self._template is None:
            self.admin("CREATE DATABASE tmpl")
            migrate(self.url("tmpl"))
            self._template = "tmpl"
        name = f"t_{uuid.uuid4().hex}"
        self.admin(f"CREATE DATABASE {name} TEMPLATE {self._template}")
        return self.url(name)

    def drop_database(self, url: str) -> None:
        """Drop a test's database, even with a connection the test left open."""
        name = url.rsplit("/", 1)[1]
        self.admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def stop(self) -> None:
        """Fast shutdown (open connections are cut), then the folder goes."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        shutil.rmtree(self.folder, ignore_errors=True)
