#!/usr/bin/python3
"""Plots an `lmarc scaling` CSV file.

Usage: plot_scaling.py SCALING_CSV OUTPUT_PNG

Left: measured throughput (input MB/s) against rank count, strong and weak
scaling, with the model's prediction dashed. Middle: measured parallel
efficiency against rank count. Right: the model's throughput up to 65536
ranks (log-log), coloured by the term that limits it. Hollow markers are
oversubscribed runs (more ranks than cores). MB = 10^6 bytes. lmarc
binaries embed this script and run it for `lmarc scaling --plot`.
"""
import csv
import sys

MODE_COLORS = {"strong": "tab:blue", "weak": "tab:orange"}
LIMIT_MARKERS = {"compute": "o", "master dispatch": "s", "single-writer bandwidth": "^"}


def read_rows(csv_path, kind):
    with open(csv_path, newline="") as csv_file:
        return [row for row in csv.DictReader(csv_file) if row["kind"] == kind]


def column(rows, name):
    return [float(row[name]) for row in rows]


def plot_measured(axis, measured, model, value_name, with_model):
    for mode, color in MODE_COLORS.items():
        rows = [row for row in measured if row["mode"] == mode]
        if not rows:
            continue
        for row in rows:
            hollow = row["oversubscribed"] == "1"
            axis.plot(float(row["ranks"]), float(row[value_name]), "o", color=color,
                      markerfacecolor="none" if hollow else color, zorder=3)
        axis.plot(column(rows, "ranks"), column(rows, value_name), "-", color=color,
                  label=f"{mode} (measured)")
        if with_model:
            measured_ranks = {row["ranks"] for row in rows}
            modelled = [row for row in model if row["mode"] == mode and row["ranks"] in measured_ranks]
            axis.plot(column(modelled, "ranks"), column(modelled, value_name), "--", color=color,
                      alpha=0.6, label=f"{mode} (model)")
    axis.set_xlabel("ranks (hollow: oversubscribed)")
    axis.grid(True, alpha=0.3)
    axis.legend(fontsize=8)


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    measured = read_rows(argv[1], "measured")
    model = read_rows(argv[1], "model")
    if not measured:
        print(f"plot_scaling.py: {argv[1]}: no measured rows", file=sys.stderr)
        return 1

    figure, (throughput, efficiency, projection) = plt.subplots(1, 3, figsize=(16, 5))
    plot_measured(throughput, measured, model, "mb_per_s", with_model=True)
    throughput.set_ylabel("throughput (input MB/s, whole mpirun command)")
    throughput.set_title("throughput vs ranks")
    throughput.set_ylim(bottom=0)

    plot_measured(efficiency, measured, model, "efficiency", with_model=False)
    efficiency.axhline(1.0, color="grey", linewidth=0.8)
    efficiency.set_ylabel("parallel efficiency")
    efficiency.set_title("efficiency vs ranks")
    efficiency.set_ylim(bottom=0)

    for mode, color in MODE_COLORS.items():
        rows = sorted((row for row in model if row["mode"] == mode), key=lambda row: int(row["ranks"]))
        if not rows:
            continue
        projection.plot(column(rows, "ranks"), column(rows, "mb_per_s"), "-", color=color,
                        label=f"{mode} (model)")
        for limit, marker in LIMIT_MARKERS.items():
            limited = [row for row in rows if row["limit"] == limit]
            projection.plot(column(limited, "ranks"), column(limited, "mb_per_s"), marker,
                            color=color, markersize=5)
    for limit, marker in LIMIT_MARKERS.items():
        projection.plot([], [], marker, color="grey", label=f"limit: {limit}")
    projection.set_xscale("log", base=2)
    projection.set_yscale("log")
    projection.set_xlabel("ranks")
    projection.set_ylabel("throughput (input MB/s)")
    projection.set_title("model projection")
    projection.grid(True, which="both", alpha=0.3)
    projection.legend(fontsize=8)

    figure.tight_layout()
    figure.savefig(argv[2], dpi=120)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
