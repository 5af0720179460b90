"""How long ``planetarycomputer --help`` takes, against ``python -c pass`` measured in the same run.

    python benchmarks/cli_startup.py [--reps N] [--python PATH] [--json FILE]

Runs both commands ``--reps`` times, interleaved (so background load hits both alike), with the
interpreter of the installed package (``--python``, default: this one). Prints the medians, the
command's time above the interpreter's start-up, and the ratio. The target: ``--help`` answers in
under 150 ms, so the command adds well under 100 ms to a bare interpreter. Exit code 1 when the
median is over the target.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

TARGET_SECONDS = 0.150


def wall_time(command: list[str], environment: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=environment)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reps", type=int, default=30)
    parser.add_argument("--python", default=sys.executable, help="interpreter with the package installed")
    parser.add_argument("--json", type=Path, help="write the results here too")
    args = parser.parse_args()
    environment = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    bare = [args.python, "-c", "pass"]
    cli = [args.python, "-m", "azure.planetarycomputer", "--help"]
    for command in (bare, cli):  # warm the file cache
        wall_time(command, environment)
    bare_times, cli_times = [], []
    for _ in range(args.reps):
        bare_times.append(wall_time(bare, environment))
        cli_times.append(wall_time(cli, environment))
    bare_median, cli_median = statistics.median(bare_times), statistics.median(cli_times)
    result = {
        "reps": args.reps,
        "python_c_pass_ms": round(bare_median * 1000, 1),
        "planetarycomputer_help_ms": round(cli_median * 1000, 1),
        "added_ms": round((cli_median - bare_median) * 1000, 1),
        "ratio": round(cli_median / bare_median, 2),
        "target_ms": TARGET_SECONDS * 1000,
        "met": cli_median < TARGET_SECONDS,
    }
    print(
        f"python -c pass: {result['python_c_pass_ms']} ms; planetarycomputer --help: "
        f"{result['planetarycomputer_help_ms']} ms (+{result['added_ms']} ms, {result['ratio']}x); "
        f"target < {result['target_ms']:.0f} ms: {'met' if result['met'] else 'MISSED'}"
    )
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0 if result["met"] else 1


if __name__ == "__main__":
    sys.exit(main())
