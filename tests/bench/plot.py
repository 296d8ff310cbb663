#!/usr/bin/env python3
"""Plots NodePools by phase over time from phases.jsonl (one sample per second of the create
storm) into a PNG: plot.py phases.jsonl report.json out.png"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ORDER = ["(none)", "Creating", "Synchronizing", "Synchronized", "SoldOut", "Deleting", "Error"]


def main(samples_path, report_path, out):
    samples = [json.loads(l) for l in open(samples_path) if l.strip()]
    if not samples:
        sys.exit("plot: no samples")
    storm = next(r for r in json.load(open(report_path)) if r["scenario"] == "create_storm")
    t = [s["t"] for s in samples]
    phases = [p for p in ORDER if any(s["phases"].get(p) for s in samples)]
    phases += sorted({p for s in samples for p in s["phases"]} - set(phases))
    fig, ax = plt.subplots(figsize=(9, 5), dpi=110)
    ax.stackplot(t, [[s["phases"].get(p, 0) for s in samples] for p in phases],
                 labels=[f"phase {p}" for p in phases], alpha=0.8)
    ax.plot(t, [s["ready"] for s in samples], color="black", lw=1.5, label="Ready=True")
    floor = storm["floor"]["floor_seconds"]
    ax.axvline(floor, color="red", ls="--", lw=1, label=f"floor {floor:.0f}s")
    ax.axvline(storm["seconds_to_all_ready"], color="black", ls=":", lw=1,
               label=f"all Ready {storm['seconds_to_all_ready']:.0f}s")
    i = storm["inputs"]
    ax.set_title(f"Create storm: {i['pools']} NodePools, {i['clusters']} clusters, "
                 f"{i['rate_limit_per_minute_per_account']}/min per account, "
                 f"provisioning {i['provision_seconds'] + i['node_seconds']:.0f}s")
    ax.set_xlabel("seconds since the first create")
    ax.set_ylabel("NodePools")
    ax.legend(loc="center right", fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out)


if __name__ == "__main__":
    main(*sys.argv[1:4])
