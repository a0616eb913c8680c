"""Time `manage.py import_communes` on a national-size file, without network.

Generates a file in decoupage-administratif's format with as many communes as France has
(about 35,000: `--count`), then imports it twice into a fresh database — once into an empty
table, once again over it (every row compared, none changed) — and prints both durations.

    python scripts/measure_import_communes.py                      # a fresh SQLite file
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cl_x python scripts/measure_import_communes.py
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SYLLABLES = ["saint", "ville", "mont", "bourg", "val", "pré", "la", "sur", "fontaine", "lès", "ré", "champ", "neuf"]


def generated(count: int, seed: int = 974) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    # Two-character departments (and 2A/2B) give five-character INSEE codes, all distinct here.
    departments = [f"{d:02d}" for d in range(1, 96) if d != 20] + ["2A", "2B"]
    for i in range(count):
        department = departments[i % len(departments)]
        code = f"{department}{i // len(departments) + 1:03d}"
        name = "-".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 3))).title()
        postal = f"{department[:2].replace('A', '0').replace('B', '0')}{rng.randint(0, 999):03d}"
        rows.append(
            {
                "code": code,
                "nom": f"{name} {i}",
                "typeLiaison": 0,
                "zone": "metro",
                "arrondissement": f"{department}1",
                "departement": department,
                "region": "84",
                "type": "commune-actuelle",
                "rangChefLieu": 0,
                "siren": f"2{i:08d}",
                "codesPostaux": [postal] + ([f"{postal[:-1]}9"] if i % 7 == 0 else []),
                "population": rng.randint(20, 50_000),
                "centre": {
                    "type": "Point",
                    "coordinates": [round(rng.uniform(-5, 9), 5), round(rng.uniform(41, 51), 5)],
                },
            }
        )
    # The file also lists arrondissements and delegated communes, which are skipped.
    rows += [{"code": f"751{n:02d}", "nom": f"Paris {n}e", "type": "arrondissement-municipal"} for n in range(1, 21)]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=35_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "communes.json"
        path.write_text(json.dumps(generated(args.count), ensure_ascii=False), encoding="utf-8")
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DJANGO_DEBUG": "1",
            "DATABASE_STATEMENT_TIMEOUT": "0",
        }
        env.setdefault("SQLITE_PATH", str(Path(tmp) / "db.sqlite3"))
        manage = [sys.executable, str(ROOT / "manage.py")]
        if "DATABASE_URL" in env:
            subprocess.run([*manage, "flush", "--no-input"], env=env, check=False, capture_output=True)
        subprocess.run([*manage, "migrate", "-v", "0"], env=env, check=True, cwd=ROOT)
        if "DATABASE_URL" in env:
            subprocess.run(
                [*manage, "shell", "-c", "from communes.models import Commune; Commune.objects.all().delete()"],
                env=env,
                check=True,
                cwd=ROOT,
            )
        print(
            f"file: {path.stat().st_size / 1e6:.1f} MB, {args.count} communes; database: {env.get('DATABASE_URL', 'SQLite')}"
        )
        for label in ("empty table", "again, unchanged"):
            started = time.perf_counter()
            result = subprocess.run(
                [*manage, "import_communes", str(path)], env=env, check=True, cwd=ROOT, capture_output=True, text=True
            )
            print(f"{label}: {time.perf_counter() - started:.1f} s ({result.stdout.strip()})")


if __name__ == "__main__":
    main()
