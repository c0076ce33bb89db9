#!/usr/bin/env python3
"""The pandas side of Keel's data benchmark (bench/data), driven by bench/run.ts.

Commands, each printing one JSON object on stdout:

    pandas_bench.py versions
    pandas_bench.py read CSV OUT   # times read_csv + to_numpy(float64); writes the matrix to OUT

OUT holds the matrix as float64 row-major after a 16-byte header (b"KEELMATX", then
little-endian uint32 rows and cols), so the Keel side can check that both read the same numbers.
Only read_csv and the conversion to a matrix are timed, not the interpreter's start.
"""

import json
import struct
import sys
import time

import numpy as np
import pandas as pd

HEADER = struct.Struct("<8s2I")


def versions():
    return {"python": sys.version.split()[0], "pandas": pd.__version__, "numpy": np.__version__}


def read(csv, out):
    started = time.perf_counter()
    frame = pd.read_csv(csv, na_values=["", "NA", "?"], keep_default_na=False)
    matrix = frame.to_numpy(dtype=np.float64)
    seconds = time.perf_counter() - started
    with open(out, "wb") as f:
        f.write(HEADER.pack(b"KEELMATX", matrix.shape[0], matrix.shape[1]))
        f.write(np.ascontiguousarray(matrix, dtype="<f8").tobytes())
    return {"seconds": seconds, "rows": int(matrix.shape[0]), "cols": int(matrix.shape[1])}


def main(argv):
    command = argv[1]
    if command == "versions":
        result = versions()
    elif command == "read":
        result = read(argv[2], argv[3])
    else:
        raise SystemExit(f"unknown command {command}")
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv)
