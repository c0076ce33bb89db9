#!/usr/bin/env python3
"""The NumPy/SciPy side of Keel's drift benchmark (bench/drift), driven by bench/run.ts.

Commands, each printing one JSON object on stdout:

    scipy_bench.py versions
    scipy_bench.py drift DATA   # times PSI + KS per column of DATA; prints the statistics

DATA (written by the Keel side): b"KEELDRFT", little-endian uint32 rows and cols, then the
reference sample column-major as float64, then the current sample the same way. Reading it is not
timed; only the computation is: per column `scipy.stats.ks_2samp(ref, cur)` (method='auto', which
is asymptotic at these sizes) and PSI over the reference's deciles (`np.quantile`, right-closed
bins by `np.searchsorted`, counts by `np.bincount`, shares floored at 1e-4) — the definition
Keel's `psiSorted` implements.
"""

import json
import struct
import sys
import time

import numpy as np
import scipy
from scipy import stats

HEADER = struct.Struct("<8s2I")
DECILES = np.arange(1, 10) / 10


def versions():
    return {"python": sys.version.split()[0], "numpy": np.__version__, "scipy": scipy.__version__}


def psi(reference, current):
    edges = []
    for e in np.quantile(reference, DECILES):
        if not edges or e > edges[-1]:
            edges.append(e)
    edges = np.asarray(edges)
    bins = len(edges) + 1
    expected = np.bincount(np.searchsorted(edges, reference, side="left"), minlength=bins) / len(reference)
    actual = np.bincount(np.searchsorted(edges, current, side="left"), minlength=bins) / len(current)
    # No missing values in the benchmark data: the missing bin is 0 on both sides (floored, adds 0).
    e = np.maximum(np.append(expected, 0.0), 1e-4)
    a = np.maximum(np.append(actual, 0.0), 1e-4)
    return float(np.sum((a - e) * np.log(a / e)))


def drift(path):
    with open(path, "rb") as f:
        magic, rows, cols = HEADER.unpack(f.read(HEADER.size))
        if magic != b"KEELDRFT":
            raise SystemExit(f"{path} is not a drift benchmark file")
        data = np.fromfile(f, dtype="<f8", count=2 * rows * cols).reshape(2, cols, rows)
    reference, current = data[0], data[1]
    started = time.perf_counter()
    columns = []
    for j in range(cols):
        ks = stats.ks_2samp(reference[j], current[j])
        columns.append({"ks": float(ks.statistic), "pValue": float(ks.pvalue), "psi": psi(reference[j], current[j])})
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "columns": columns}


def main(argv):
    command = argv[1]
    if command == "versions":
        result = versions()
    elif command == "drift":
        result = drift(argv[2])
    else:
        raise SystemExit(f"unknown command {command}")
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv)
