"""`make bench`: run every benchmark on SQLite and, when reachable, PostgreSQL.

    python bench/run.py [N] [--full] [--only actions,routing,outbox,sla_sweep,api] [--db sqlite]

Default: list/detail at 100k escalations and 10k API creates; `--full` adds the 1M list/detail
run (about 30 min of data generation per database on a loaded 2-core machine).
`make bench BENCH_ARGS="--full"` passes flags through make.
"""

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ALL = ["actions", "routing", "outbox", "sla_sweep", "api", "reports", "recurring", "firststart", "clock", "openapi"]


def postgres_up() -> bool:
    try:
        import psycopg

        psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", connect_timeout=3).close()
        return True
    except Exception:
        return False


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("n", nargs="?", default="1000", help="writes per action benchmark")
    parser.add_argument("--full", action="store_true", help="also list/detail at 1M escalations")
    parser.add_argument("--only", default=",".join(ALL))
    parser.add_argument("--db", choices=["sqlite", "postgres"], help="one database only")
    args = parser.parse_args()
    only = set(args.only.split(","))
    dbs = [args.db] if args.db else ["sqlite"] + (["postgres"] if postgres_up() else [])
    rows = "100000,1000000" if args.full else "100000"
    runs = {
        "actions": lambda db: ["actions.py", "--db", db, "--n", args.n],
        "routing": lambda db: ["routing.py", "--db", db],
        "outbox": lambda db: ["outbox.py", "--db", db],
        "sla_sweep": lambda db: ["sla_sweep.py", "--db", db] + ([] if args.full else ["--sizes", "10000,100000"]),
        "api": lambda db: ["api.py", "--db", db, "--rows", rows],
        "recurring": lambda db: ["recurring.py"],
        "clock": lambda db: ["clock.py"] if db == "sqlite" else None,  # pure: no database
        "openapi": lambda db: ["openapi.py"] if db == "sqlite" else None,
        "firststart": lambda db: ["firststart.py"] if db == "sqlite" else None,  # devrun is SQLite only
        "reports": lambda db: ["reports.py", "--db", db] + ([] if args.full else ["--count", "100000"]),
    }
    code = 0
    for db in dbs:
        for name in ALL:
            cmd = runs[name](db) if name in only else None
            if cmd:
                print(f"\n== bench/{' '.join(cmd)}", flush=True)
                code |= subprocess.call([sys.executable, str(HERE / cmd[0]), *cmd[1:]])
    if "postgres" not in dbs and not args.db:
        print("PostgreSQL not reachable at 127.0.0.1:5432: PostgreSQL figures skipped")
    return code


if __name__ == "__main__":
    sys.exit(main())
