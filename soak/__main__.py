"""Entry point: ``python -m soak [--quick | --minutes N | --burst]`` (``make soak``, ``make soak-full``)."""

import argparse
import asyncio
import os
import sys

# The servers it starts are test servers: a throwaway secret key (production requires one since
# the trust work) and socket caps sized for a load client on 127.0.0.1, as the suite has them.
import tests.environment  # noqa: F401  (sets os.environ defaults; must come before Django loads)
from soak.burst import burst
from soak.run import ROOT, soak


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m soak", description="Soak and burst runs (soak/run.py, soak/burst.py)"
    )
    parser.add_argument("--quick", action="store_true", help="about 4 minutes")
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--burst", action="store_true", help="50 stalled subscribers during a 10,000-message burst")
    args = parser.parse_args(argv)
    os.chdir(ROOT)
    if args.burst:
        return asyncio.run(burst())
    return asyncio.run(soak(4.0 if args.quick else args.minutes))


if __name__ == "__main__":
    sys.exit(main())
