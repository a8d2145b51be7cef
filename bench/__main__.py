"""Every benchmark, one after the other, and their tables: `python -m bench` (see docs/performance.md).

python -m bench                       # 1k/10k/100k pages, naive baseline, write throughput, memory
python -m bench --sizes 1000 10000    # smaller, quicker
python -m bench --capacity            # and one real server with live viewers (bench/capacity.py)
"""

from __future__ import annotations

import argparse
import time

from bench import capacity, memory, pages, write_throughput


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(pages.SIZES))
    parser.add_argument("--runs", type=int, default=pages.RUNS)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument(
        "--capacity", action="store_true", help="also a real server with 1-200 live viewers and reviewers (~6 min more)"
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()

    rows, naive = pages.run(tuple(args.sizes), args.runs)
    throughput = write_throughput.run(args.threads, 240, postgres=not args.no_postgres)
    used = memory.measure(max(args.sizes), 25)
    held = capacity.run(["shipped"], list(capacity.VIEWERS), 10, max(args.sizes)) if args.capacity else None

    print()
    print(pages.page_table(rows))
    print(
        f"\nDashboard figures at {naive['size']:,} requests: SQL GROUP BY {naive['sql_ms']:.1f} ms, "
        f"naive (all rows into pandas) {naive['naive_ms']:.0f} ms"
    )
    print()
    print(write_throughput.table(throughput))
    print()
    print(memory.table(used))
    if held is not None:
        print()
        print(capacity.table(*held, max(args.sizes)))
    print("\nTargets")
    for name, detail, met in pages.targets(rows, naive):
        print(f"  {name}: {detail} -> {'met' if met else 'NOT MET'}")
    print(
        f"  memory peak <= {memory.TARGET_MB} MB: {used['peak']:.0f} MB -> {'met' if used['peak'] <= memory.TARGET_MB else 'NOT MET'}"
    )
    if held is not None:
        for name, detail, met in capacity.targets(held[0]):
            print(f"  {name}: {detail} -> {'met' if met else 'NOT MET'}")
    errors = sum(sum(r["user_errors"].values()) + sum(r["refusals"].values()) for r in throughput)
    print(f"  zero write errors reaching users: {errors} -> {'met' if errors == 0 else 'NOT MET'}")
    print(f"\n(all benchmarks took {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
