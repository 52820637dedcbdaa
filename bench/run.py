"""`make bench`: run every benchmark on SQLite and, when reachable, PostgreSQL."""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def postgres_up() -> bool:
    try:
        import psycopg

        psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", connect_timeout=3).close()
        return True
    except Exception:
        return False


def main() -> int:
    n = sys.argv[1] if len(sys.argv) > 1 else "1000"
    dbs = ["sqlite"] + (["postgres"] if postgres_up() else [])
    code = 0
    for db in dbs:
        print(f"\n== bench/actions.py --db {db} --n {n}", flush=True)
        code |= subprocess.call([sys.executable, str(HERE / "actions.py"), "--db", db, "--n", n])
        print(f"\n== bench/routing.py --db {db}", flush=True)
        code |= subprocess.call([sys.executable, str(HERE / "routing.py"), "--db", db])
        print(f"\n== bench/outbox.py --db {db}", flush=True)
        code |= subprocess.call([sys.executable, str(HERE / "outbox.py"), "--db", db])
        print(f"\n== bench/sla_sweep.py --db {db}", flush=True)
        code |= subprocess.call([sys.executable, str(HERE / "sla_sweep.py"), "--db", db])
    print("\n== bench/recurring.py (no database)", flush=True)
    code |= subprocess.call([sys.executable, str(HERE / "recurring.py")])
    if "postgres" not in dbs:
        print("PostgreSQL not reachable at 127.0.0.1:5432: PostgreSQL figures skipped")
    return code


if __name__ == "__main__":
    sys.exit(main())
