"""Make sure what the tests need is here: Redis, PostgreSQL, Debian's Chromium, nginx and an emoji font
(started or installed if missing)."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys

EMOJI_FONT = "/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf"


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def run(command: str) -> None:
    print(f"+ {command}", flush=True)
    subprocess.run(command, shell=True, check=False)


def main() -> int:
    if not port_open(6379):
        run('redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no')
    if not port_open(5432):
        versions = os.listdir("/etc/postgresql") if os.path.isdir("/etc/postgresql") else []
        if versions:
            run(f"pg_ctlcluster --skip-systemctl-redirect {versions[0]} main start")
    # Debian's Chromium for the browser tests, nginx for the deployment test, and a colour emoji font
    # so that the screenshots show the reactions (👍 ❤️ …) as people's browsers do, not as boxes.
    missing_packages = [
        name for name in ("chromium", "nginx") if not shutil.which(name) and not glob.glob(f"/usr/*bin/{name}")
    ]
    if not os.path.exists(EMOJI_FONT):
        missing_packages.append("fonts-noto-color-emoji")
    if missing_packages:
        packages = " ".join("nginx-light" if name == "nginx" else name for name in missing_packages)
        print(f"Installing {packages} with apt-get (root needed).", flush=True)
        for name, without in (
            ("chromium", "the browser tests are skipped with a reason (on CI, CI=true, they fail)"),
            ("nginx", "the nginx deployment test is skipped with a reason (on CI, CI=true, it fails)"),
            ("fonts-noto-color-emoji", "the screenshots show emoji as boxes; no test depends on it"),
        ):
            if name in missing_packages:
                print(f"  without {name}, {without}.", flush=True)
        prefix = "" if os.geteuid() == 0 else "sudo -n " if shutil.which("sudo") else None
        if prefix is None:
            print("  not root and no sudo: apt-get not run.", flush=True)
        else:
            run(
                f"{prefix}apt-get update -qq && {prefix}env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq {packages}"
            )
    missing = [name for name, port in (("Redis", 6379), ("PostgreSQL", 5432)) if not port_open(port)]
    if missing:
        print(f"not reachable: {', '.join(missing)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
