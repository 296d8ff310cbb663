#!/usr/bin/env python3
"""Plots report-terraform.json: time to all pools ready (at the cloud) and cloud requests per
pool, Terraform (each -parallelism) beside the controller, for each N, with the serial floor.

    plot_terraform.py report-terraform.json out.png
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def label(r):
    return f"terraform -parallelism={r['parallelism']}" if r["tool"] == "terraform" else "controller"


def main(report_path, out):
    report = json.load(open(report_path))
    runs = report["runs"]
    sizes = sorted({r["pools"] for r in runs})
    tools = list(dict.fromkeys(label(r) for r in runs))
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.5), dpi=110)
    width = 0.8 / max(1, len(tools))
    for k, tool in enumerate(tools):
        xs, ready, per_pool = [], [], []
        for i, n in enumerate(sizes):
            r = next((r for r in runs if r["pools"] == n and label(r) == tool), None)
            if r is None:
                continue
            xs.append(i + (k - (len(tools) - 1) / 2) * width)
            ready.append(r["seconds_to_all_ready_at_cloud"] or 0)
            per_pool.append(r["cloud_requests"]["per_pool"])
        ax1.bar(xs, ready, width, label=tool)
        ax2.bar(xs, per_pool, width, label=tool)
        # When the tool says it is done: `terraform apply` exits / every NodePool is Ready.
        done = [next(r for r in runs if r["pools"] == n and label(r) == tool).get("seconds_apply")
                or next(r for r in runs if r["pools"] == n and label(r) == tool)["seconds_to_all_ready"]
                for n in sizes if any(r["pools"] == n and label(r) == tool for r in runs)]
        ax1.scatter(xs, done, marker="v", color="black", zorder=3,
                    label="tool reports done (apply exits / all Ready)" if k == 0 else None)
    for i, n in enumerate(sizes):
        floor = next(r["serial_floor_seconds"] for r in runs if r["pools"] == n)
        ax1.hlines(floor, i - 0.45, i + 0.45, colors="red", linestyles="--",
                   label="serial floor" if i == 0 else None)
    for ax in (ax1, ax2):
        ax.set_xticks(range(len(sizes)))
        ax.set_xticklabels([f"{n} pools" for n in sizes])
        ax.grid(axis="y", alpha=0.3)
    ax1.set_ylabel("seconds until every pool is ready at the cloud")
    ax2.set_ylabel("cloud requests per pool (create until ready)")
    ax1.legend(fontsize=8)
    i = report["inputs"]
    fig.suptitle(f"Terraform vs the controller: {', '.join(i['clouds'])}, "
                 f"{i['rate_limit_per_minute_per_account']}/min per account, "
                 f"provisioning {i['provision_seconds'] + i['node_seconds']:.0f}s", fontsize=10)
    fig.tight_layout()
    fig.savefig(out)


if __name__ == "__main__":
    main(*sys.argv[1:3])
