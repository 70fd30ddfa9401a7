"""Runs every benchmark in bench/ (each a script that prints its figures)."""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main():
    scripts = sorted(p for p in HERE.glob("*.py") if p.name not in {"run.py", "__init__.py"})
    failed = 0
    for script in scripts:
        print(f"== {script.stem}", flush=True)
        failed += subprocess.run([sys.executable, str(script)], cwd=HERE.parent).returncode != 0
    if not scripts:
        print("No benchmark yet.")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
