"""Read every workbook below a folder with pandas.read_excel (openpyxl), every
sheet, no header, and count the non-empty cells: what a pandas user pays to
load the same files. Prints one line like bench/floor.

    /usr/bin/python3 bench/pandas_read.py [--workers N] DIR
"""
import argparse
import multiprocessing
import os
import sys
import time
import warnings


def count(path):
    import pandas as pd

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sheets = pd.read_excel(path, sheet_name=None, header=None, engine="openpyxl")
    return sum(int(df.notna().sum().sum()) for df in sheets.values())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("dir")
    args = ap.parse_args()
    files = []
    for root, _, names in os.walk(args.dir):
        files += [os.path.join(root, n) for n in names if n.lower().endswith(".xlsx")]
    files.sort()
    import pandas  # noqa: F401  (import time is not the read's)
    import openpyxl  # noqa: F401

    start = time.monotonic()
    if args.workers > 1:
        with multiprocessing.Pool(args.workers) as pool:
            cells = sum(pool.imap_unordered(count, files, chunksize=4))
    else:
        cells = sum(count(f) for f in files)
    elapsed = time.monotonic() - start
    print(f"mode=pandas workers={args.workers} files={len(files)} cells={cells} seconds={elapsed:.3f}")


if __name__ == "__main__":
    sys.exit(main())
