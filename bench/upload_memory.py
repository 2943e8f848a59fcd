"""Peak memory and time of reading and validating an uploaded SSDA903 return, as the API does it.

    python -m bench.upload_memory [--mb 5] [--repeat 3]

Builds a deterministic return (``bench.ssda903_gen``: several LAs' synthetic care histories in one
return) whose episodes file is about ``--mb`` MB, writes it to temporary files, and hands each file to
the endpoint's reader as Starlette does (a ``SpooledTemporaryFile`` that has gone to disk, wrapped in
an ``UploadFile``). It then runs what ``POST /sufficiency/returns`` runs before it touches the
database: the router's ``_read``, ``returns._check_files``, ``upload.prepare``, ``returns._year`` and
``returns._validated_rows``, under ``tracemalloc``, and reports the peak of Python allocations above
what was allocated before (the spooled files are on disk, so they are not counted) and the wall time:
once after the checks and the collection-year inference (which reads the episodes file into a table:
``read_*``), once after validation (the rules' own tables dominate that peak).
Run it on two commits to compare; nothing is written.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

from starlette.datastructures import UploadFile


def build_return(mb: float) -> dict[str, bytes]:
    """A valid-shaped return (header, episodes, uasc) with an episodes file of about ``mb`` MB."""
    from bench.ssda903_gen import region_histories, return_for, to_files

    merged: dict[str, list[dict[str, str]]] = {"header": [], "episodes": [], "uasc": []}
    seed = 0
    while True:
        for kids in region_histories(n_las=20, scale=1, seed=903 + seed).values():
            ret = return_for(kids, 2023)
            prefix = f"S{seed}"
            for table, rows in ret.items():
                for r in rows:
                    merged[table].append({**r, "CHILD": prefix + r["CHILD"]})
        files = to_files(merged)
        if len(files["episodes"]) >= mb * 1024 * 1024:
            break
        seed += 1
    # cut the episodes (and their children) to about the size asked for, keeping whole children
    target = mb * 1024 * 1024
    episodes, size, keep = [], 0, set()
    for r in merged["episodes"]:
        size += sum(len(v) for v in r.values()) + len(r)
        if size > target and r["CHILD"] not in keep:
            break
        episodes.append(r)
        keep.add(r["CHILD"])
    cut = {
        "header": [r for r in merged["header"] if r["CHILD"] in keep],
        "episodes": episodes,
        "uasc": [r for r in merged["uasc"] if r["CHILD"] in keep],
    }
    return to_files(cut)


def _spooled(path: Path) -> UploadFile:
    spool = tempfile.SpooledTemporaryFile(max_size=1024 * 1024)  # Starlette's default spool size
    with path.open("rb") as fh:
        shutil.copyfileobj(fh, spool)
    spool.seek(0)
    return UploadFile(spool, filename=path.name)


def run_once(paths: dict[str, Path], validate: bool = True) -> dict[str, Any]:
    from rcc.sufficiency import returns, upload
    from rcc.sufficiency.router import _read

    uploads = {t: _spooled(p) for t, p in paths.items()}
    tracemalloc.start()
    base, _ = tracemalloc.get_traced_memory()
    t0 = time.perf_counter()
    files = {t: _read(u, t) for t, u in uploads.items()}
    named = upload.prepare(returns._check_files(files))
    year, _ = returns._year(named, None)  # reads the episodes file into a table
    _, read_peak = tracemalloc.get_traced_memory()
    read_wall = time.perf_counter() - t0
    error, outcome = None, None
    if validate:
        try:
            rows = returns._validated_rows(named, year, None)
            outcome = {k: len(v) for k, v in rows.items()}
        except returns.ReturnRejected as exc:
            outcome = {"rejected": len(exc.errors)}
            error = exc.errors[0].code if exc.errors else None
    wall = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    for u in uploads.values():
        u.file.close()
    return {
        "read_peak_mb": (read_peak - base) / 2**20,
        "read_seconds": read_wall,
        "peak_mb": (peak - base) / 2**20,
        "seconds": wall,
        "year": year,
        "outcome": outcome,
        "first_error": error,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mb", type=float, default=5.0, help="size of the episodes file")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument(
        "--files", help="folder for the return's CSVs: used if they are there, else written there"
    )
    ap.add_argument("--no-validate", action="store_true", help="stop after the checks and the year inference")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="rcc-upload-mem-") as tmp:
        folder = Path(args.files or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        if not (folder / "episodes.csv").exists():
            for table, raw in build_return(args.mb).items():
                (folder / f"{table}.csv").write_bytes(raw)
        paths = {
            t: folder / f"{t}.csv" for t in ("header", "episodes", "uasc") if (folder / f"{t}.csv").exists()
        }
        sizes = {t: round(p.stat().st_size / 2**20, 2) for t, p in paths.items()}
        runs = [run_once(paths, not args.no_validate) for _ in range(args.repeat)]
    print(
        {
            "file_mb": sizes,
            "read_peak_mb_median": round(statistics.median(r["read_peak_mb"] for r in runs), 1),
            "read_seconds_median": round(statistics.median(r["read_seconds"] for r in runs), 2),
            "peak_mb_median": round(statistics.median(r["peak_mb"] for r in runs), 1),
            "seconds_median": round(statistics.median(r["seconds"] for r in runs), 2),
            "year": runs[0]["year"],
            "outcome": runs[0]["outcome"],
            "first_error": runs[0]["first_error"],
        }
    )


if __name__ == "__main__":
    main()
