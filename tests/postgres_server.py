"""A throwaway PostgreSQL server for tests: ``initdb`` and ``pg_ctl`` in a temporary directory, on a free port.

PostgreSQL refuses to run as root, so as root the server runs as ``nobody`` (through ``runuser``).
:func:`available` says why not when the binaries are missing (``apt-get install -y postgresql``; ``.ci/run``
installs it).
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path


def binaries() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def available() -> str | None:
    """None when a server can be started here; else why not."""
    if binaries() is None:
        return "no PostgreSQL server binaries (initdb): install them with `apt-get install -y postgresql`"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root without runuser: PostgreSQL cannot be started as root"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def server() -> Iterator[str]:
    """Start a server, yield its connection URL (database ``postgres``, user ``logs``), stop it after."""
    bin_dir = binaries()
    assert bin_dir is not None, available()
    root = Path(tempfile.mkdtemp(prefix="cr-pg-"))
    data = root / "data"
    as_user: list[str] = []
    if os.geteuid() == 0:
        os.chmod(root, 0o777)
        as_user = ["runuser", "-u", "nobody", "--"]
    port = _free_port()

    def run(*cmd: str) -> None:
        done = subprocess.run([*as_user, *cmd], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"{' '.join(cmd)}: {done.stdout[-1500:]} {done.stderr[-1500:]}"

    run(str(bin_dir / "initdb"), "-D", str(data), "-U", "logs", "--auth=trust", "-E", "UTF8", "--no-sync")
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
    run(str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(root / "server.log"), "-w", "start")
    try:
        yield f"postgresql://logs@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True, timeout=60)
        shutil.rmtree(root, ignore_errors=True)
