#!/usr/bin/python3
"""Plots the TOTAL rows of an `lmarc bench` CSV file.

Usage: plot_bench.py BENCH_CSV OUTPUT_PNG

Left: compression ratio (raw / compressed bytes) against compression speed
(MB/s, log scale), one labelled point per method. Right: decompression speed
(MB/s, log scale) per method. MB = 10^6 bytes. lmarc binaries embed this
script and run it for `lmarc bench --plot`.
"""
import csv
import sys


def read_total_rows(csv_path):
    with open(csv_path, newline="") as csv_file:
        return [row for row in csv.DictReader(csv_file) if row["file"] == "TOTAL"]


def method_color(method):
    return "tab:red" if method.startswith("lmarc-") else "tab:blue"


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    plain_number = FuncFormatter(lambda value, _: f"{value:g}")

    rows = read_total_rows(argv[1])
    if not rows:
        print(f"plot_bench.py: {argv[1]}: no TOTAL rows", file=sys.stderr)
        return 1
    methods = [row["method"] for row in rows]
    ratios = [float(row["ratio"]) for row in rows]
    compress_mbps = [float(row["compress_mbps"]) for row in rows]
    decompress_mbps = [float(row["decompress_mbps"]) for row in rows]
    colors = [method_color(method) for method in methods]

    figure, (scatter, bars) = plt.subplots(1, 2, figsize=(13, 5.5))
    scatter.scatter(compress_mbps, ratios, c=colors, zorder=3)
    for method, x, y in zip(methods, compress_mbps, ratios):
        scatter.annotate(method, (x, y), textcoords="offset points", xytext=(5, 5), fontsize=8)
    scatter.set_xscale("log")
    scatter.xaxis.set_major_formatter(plain_number)
    scatter.xaxis.set_minor_formatter(plain_number)
    scatter.set_xlabel("compression speed (MB/s, whole command, one core)")
    scatter.set_ylabel("ratio (raw / compressed bytes)")
    scatter.set_title("ratio vs compression speed (all files)")
    scatter.grid(True, which="both", alpha=0.3)

    positions = range(len(methods))
    bars.bar(positions, decompress_mbps, color=colors, zorder=3)
    bars.set_xticks(list(positions))
    bars.set_xticklabels(methods, rotation=45, ha="right", fontsize=8)
    bars.set_yscale("log")
    bars.yaxis.set_major_formatter(plain_number)
    bars.set_ylabel("decompression speed (MB/s, whole command, one core)")
    bars.set_title("decompression speed (all files)")
    bars.grid(True, axis="y", which="both", alpha=0.3)
    for position, speed in zip(positions, decompress_mbps):
        bars.annotate(f"{speed:.3g}", (position, speed), ha="center", va="bottom", fontsize=7)

    figure.tight_layout()
    figure.savefig(argv[2], dpi=120)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
