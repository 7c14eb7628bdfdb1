"""What vouching for results costs: `verify_folder` (every chunk file read and hashed, every
replication accounted for) against reading the replications back, on an experiment folder.

    python benchmarks/bench_integrity.py FOLDER [--repeat 5]

FOLDER is any finished experiment (e.g. `sendsim run --reps 100 --out /tmp/w100`). Prints the
median CPU and wall seconds of verifying, of loading the ensembles (what `summarise` and
`report` do anyway), and the megabytes hashed.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from sendsim.experiment.run import load_ensemble, read_manifest, verify_folder


def timed(fn, repeat: int) -> tuple[float, float]:
    walls, cpus = [], []
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args()
    manifest = read_manifest(a.folder)
    size = sum(p.stat().st_size for p in (a.folder / "reps").rglob("*.parquet"))
    verify = timed(lambda: verify_folder(a.folder, manifest), a.repeat)
    load = timed(lambda: [load_ensemble(a.folder, s, manifest["reps"])
                          for s in manifest["scenarios"]], a.repeat)
    print(f"{a.folder}: {len(manifest['scenarios'])} scenario(s) x {manifest['reps']} "
          f"replications, {size / 1e6:.1f} MB of Parquet")
    print(f"verify_folder   wall {verify[0]:.3f} s  cpu {verify[1]:.3f} s "
          f"({size / 1e6 / max(verify[0], 1e-9):.0f} MB/s)")
    print(f"load ensembles  wall {load[0]:.3f} s  cpu {load[1]:.3f} s")
    print(f"verification adds {100 * verify[0] / load[0]:.0f}% to reading the replications back")


if __name__ == "__main__":
    main()
