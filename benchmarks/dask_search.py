"""A search of 20,000 items split into partitions on 1, 2 and 4 Dask worker processes, against the pager.

usage: python benchmarks/dask_search.py [--latency-ms 50] [--limit 250] [--workers 1,2,4] [--reps 2]

Runs against the local GeoCatalog stand-in (GEOCATALOG_ENDPOINT; started and seeded with the
benchmark collection as benchmarks/run.py does), behind benchmarks/latency_proxy.py, which holds
every response back ``--latency-ms`` to stand for a far-away service. It measures:

* the sequential pager: ``search_items_paged`` over every page, in this process;
* ``search_partitions(by="month")`` (28 windows over the 20,000 hourly items), its bag of ids
  computed on a ``LocalCluster`` of N single-threaded worker processes (cluster start-up excluded).

Each split run is paired with a pager run just before it (the machine is shared, its load moves),
and the speed-up is the ratio of the medians. It prints the wall times, the speed-ups and the
per-page cost (time per page of the sequential pager, with and without the added latency) that the
README's projection uses. On a
2-core machine, the stand-in itself (PostgreSQL + the API) shares the cores with the workers: the
speed-up stops where the stand-in's own capacity does, not where Dask's does.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from azure.core.credentials import AccessToken, AccessTokenInfo  # noqa: E402
from azure.planetarycomputer import PlanetaryComputerProClient  # noqa: E402
from run import (  # noqa: E402  (benchmarks/run.py: the stand-in, its seeding and the latency proxy)
    BENCH_COLLECTION,
    BENCH_ITEMS,
    ENDPOINT,
    ensure_bench_collection,
    ensure_standin,
    latency_proxy,
)

SEARCH: dict[str, Any] = {
    "collections": BENCH_COLLECTION,
    # The items are hourly from 2020-01-01: 20,000 hours end on 2022-04-13 (28 months).
    "datetime": ("2020-01-01T00:00:00Z", "2022-04-30T23:59:59Z"),
}


class BenchCredential:
    """Any token (the stand-in accepts any); the class is the credential factory the workers call."""

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken("bench-token", int(time.time()) + 3600)

    def get_token_info(self, *scopes: str, options: Any = None) -> AccessTokenInfo:
        return AccessTokenInfo("bench-token", int(time.time()) + 3600)


def sequential(endpoint: str, limit: int) -> tuple[float, int, int]:
    """Seconds, items and pages of the plain pager over the whole search."""
    client = PlanetaryComputerProClient(endpoint, BenchCredential())
    started = time.perf_counter()
    items = pages = 0
    for page in client.stac.search_items_paged(**SEARCH, limit=limit).by_page():
        pages += 1
        items += sum(1 for _ in page)
    return time.perf_counter() - started, items, pages


def partitioned(endpoint: str, limit: int, dask_client: Any) -> tuple[float, int, int]:
    """Seconds, items and partitions of the split search computed on the cluster."""
    client = PlanetaryComputerProClient(endpoint, BenchCredential())
    started = time.perf_counter()
    partitions = client.stac.search_partitions(
        **SEARCH, limit=limit, by="month", credential_factory=BenchCredential
    )
    ids = partitions.to_dask_bag().pluck("id").compute()
    elapsed = time.perf_counter() - started
    if len(ids) != len(set(ids)):
        raise AssertionError("an item came back twice")
    return elapsed, len(ids), len(partitions)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--limit", type=int, default=250, help="page size")
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--reps", type=int, default=2)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    import distributed

    ensure_standin()
    ensure_bench_collection(BENCH_ITEMS)
    report: dict[str, Any] = {"endpoint": ENDPOINT, "latency_ms": args.latency_ms, "page_size": args.limit}
    report["cpus"] = os.cpu_count()

    direct = [sequential(ENDPOINT, args.limit) for _ in range(args.reps)]
    seconds, items, pages = min(direct)
    report["pager_direct"] = {
        "seconds": seconds,
        "items": items,
        "pages": pages,
        "per_page_ms": 1000 * seconds / pages,
    }
    print(
        f"pager, no added latency: {seconds:.2f} s, {items} items, {pages} pages, "
        f"{1000 * seconds / pages:.0f} ms/page"
    )

    with latency_proxy(args.latency_ms) as url:
        report["dask"] = []
        for workers in [int(part) for part in args.workers.split(",")]:
            started = time.perf_counter()
            cluster = distributed.LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=logging.ERROR,
            )
            dask_client = distributed.Client(cluster)
            startup = time.perf_counter() - started
            # The machine is shared: each split run is paired with a pager run just before it, and
            # the speed-up is the ratio of the medians of the pairs.
            pager_times, split_times = [], []
            try:
                for _ in range(args.reps):
                    seconds, items, pages = sequential(url, args.limit)
                    pager_times.append(seconds)
                    seconds, found, count = partitioned(url, args.limit, dask_client)
                    if found != items:
                        raise AssertionError(f"{found} items from the partitions, {items} from the pager")
                    split_times.append(seconds)
            finally:
                dask_client.close()
                cluster.close()
            pager, split = statistics.median(pager_times), statistics.median(split_times)
            row = {
                "workers": workers,
                "pager_seconds": pager,
                "pager_per_page_ms": 1000 * pager / pages,
                "split_seconds": split,
                "partitions": count,
                "pages": pages,
                "speedup": pager / split,
                "cluster_startup_seconds": startup,
            }
            report["dask"].append(row)
            print(
                f"{workers} worker(s): pager {pager:.2f} s ({1000 * pager / pages:.0f} ms/page), "
                f"{count} partitions {split:.2f} s: x{pager / split:.2f} "
                f"(cluster start-up {startup:.1f} s, not counted)"
            )
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
