"""Server subprocesses of the bench: daphne on a free loopback port, with RSS and CPU readings."""

from __future__ import annotations

import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")
HOST = "127.0.0.1"


def raise_nofile():
    """Raise the soft open-files limit to the hard one (also used as preexec_fn)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def nofile_limit() -> int:
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def port_accepts(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.5):
            return True
    except OSError:
        return False


def read_rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def read_cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # fields[11], fields[12] are utime, stime (14th, 15th of the full line)
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def read_runqueue_wait_seconds(pid: int) -> float | None:
    """Seconds the threads of `pid` spent runnable but waiting for a core (the kernel's run queue;
    the second field of each thread's /proc/<pid>/task/<tid>/schedstat), or None where the kernel
    keeps no such statistics. A thread that exited meanwhile takes its seconds with it."""
    total = 0
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return None
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[1])
        except (OSError, IndexError, ValueError):
            continue
    return total / 1e9


LISTEN_BACKLOG = 4096


class Server:
    """One daphne process."""

    def __init__(
        self,
        name: str,
        app: str,
        cwd: Path,
        env: dict,
        log_dir: Path,
        port: int | None = None,
        profile: bool = False,
        cmd: list | None = None,
    ):
        self.name = name
        self.cmd = cmd  # a command line to run instead of daphne (the port is appended)
        self.profile = profile
        self.profile_files: tuple[Path, Path] | None = None
        self.spies: list[subprocess.Popen] = []
        self.app = app
        self.cwd = cwd
        self.env = env
        self.port = port or free_port()
        self.log_path = log_dir / f"{name}-{self.port}.log"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 60.0):
        if self.cmd is not None:
            cmd = [*self.cmd, str(self.port)]
        else:
            # Every server, peers and project alike, listens with the same backlog (Twisted's
            # default of 50 drops the SYNs of a reconnect storm: S8).
            endpoint = f"tcp:port={self.port}:interface={HOST}:backlog={LISTEN_BACKLOG}"
            cmd = [sys.executable, "-m", "daphne", "-e", endpoint, self.app]
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            cmd,
            cwd=self.cwd,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            preexec_fn=raise_nofile,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:  # bounded poll for the port
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with {self.proc.returncode}; see {self.log_path}:\n" + self.tail()
                )
            if port_accepts(self.port):
                return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.name} did not accept on port {self.port} within {timeout:.0f}s")

    @property
    def pid(self) -> int:
        return self.proc.pid

    def rss_kib(self) -> int:
        return read_rss_kib(self.pid)

    def cpu_seconds(self) -> float:
        return read_cpu_seconds(self.pid)

    def runqueue_wait_seconds(self) -> float | None:
        return read_runqueue_wait_seconds(self.pid)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def tail(self, n: int = 20) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(lines[-n:])

    def count_in_log(self, needle: str) -> int:
        try:
            return self.log_path.read_text(errors="replace").count(needle)
        except OSError:
            return 0

    def profile_begin(self, label: str):
        """py-spy samples the server for one scenario: collapsed stacks (summarised by bench.profile)
        and a flame graph (SVG); ``profile_end`` stops both and returns their paths."""
        if not self.profile or not self.alive():
            return
        spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
        if not Path(spy).exists():
            print("  (--profile: py-spy not found; pip install py-spy)")
            return
        stem = self.log_path.with_name(f"{self.log_path.stem}-{label.replace(',', '')}")
        self.profile_files = (stem.with_suffix(".pyspy.txt"), stem.with_suffix(".svg"))
        self.spies = [
            subprocess.Popen(
                [spy, "record", "--pid", str(self.pid), "--format", fmt, "--rate", "200", "--nonblocking"]
                + ["--output", str(path)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            for fmt, path in zip(("raw", "flamegraph"), self.profile_files, strict=True)
        ]

    def profile_end(self):
        """Stop the samplers (py-spy writes its file on SIGINT, or when the process it samples exits)."""
        spies, self.spies = self.spies, []
        for spy in spies:
            if spy.poll() is None:
                spy.send_signal(signal.SIGINT)
        for spy in spies:
            try:
                spy.wait(timeout=30)
            except subprocess.TimeoutExpired:
                spy.kill()
                spy.wait(timeout=10)
        files, self.profile_files = self.profile_files, None
        return files if spies and files and files[0].exists() else None

    def kill(self):
        """SIGKILL, as a crash would: no close frame, no cleanup."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def stop(self):
        self.profile_end()
        self._stop_server()

    def _stop_server(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.log.close()
