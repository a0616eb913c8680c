"""Entry point: ``python -m soak [--quick | --minutes N]`` (``make soak``, ``make soak-full``). See soak/run.py."""

import sys

from soak.run import main

if __name__ == "__main__":
    sys.exit(main())
