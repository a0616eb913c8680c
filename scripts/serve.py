"""`make run`'s server: daphne (the graceful launcher, readable logs) on HOST:PORT, and one line saying where once it really listens."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time


def listening(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def main() -> int:
    host, port = os.environ.get("HOST", "127.0.0.1"), int(os.environ.get("PORT", "8000"))
    if listening(host, port):
        print(f"port {port} on {host} is already in use: try `make run PORT={port + 1}`", file=sys.stderr)
        return 1
    env = {**os.environ, "LOG_FORMAT": os.environ.get("LOG_FORMAT", "readable")}
    daphne = subprocess.Popen(
        [sys.executable, "-m", "config.server", "-b", host, "-p", str(port), "config.asgi:application"], env=env
    )
    signal.signal(signal.SIGTERM, lambda *_: daphne.terminate())
    try:
        while daphne.poll() is None and not listening(host, port):
            time.sleep(0.1)  # waiting for a process to open its port
        if daphne.poll() is None:
            shown = f"[{host}]" if ":" in host else host
            print(
                f"Communecter Live: listening on http://{shown}:{port}/ (demo accounts marie, jean, lucie / demo-password; Ctrl-C stops)",
                flush=True,
            )
        return daphne.wait()
    except KeyboardInterrupt:
        daphne.terminate()
        return daphne.wait()


if __name__ == "__main__":
    sys.exit(main())
