#!/usr/bin/env python3
"""Measure every corpus model on one target and print the Markdown table of docs/models.md
(instructions, modeled cycles, flash and RAM per model), from tinybench's own JSON output.

    cargo build --release -p tinybench
    python3 tools/corpus/measure.py [--target sim-cortex-m4] [--tinybench target/release/tinybench] [--only NAME ...]
    python3 tools/corpus/measure.py --mlperf    # the MLPerf Tiny table (sim-cortex-m4 and sim-rv32imac)

Standard library only. A model whose run fails is listed with the first line of the error.
"""

import argparse
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def kib(n):
    return f"{n / 1024:.1f} KiB"


def run_json(tool, target, model_file, dataset):
    """tinybench's JSON result of one model run, or the last line of its error."""
    cmd = [tool, "run", "--target", target, "--model", str(model_file),
           "--dataset", str(dataset), "--no-save", "--format", "json"]
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
    if out.returncode != 0:
        return None, (out.stderr.strip().splitlines() or ["(no message)"])[-1]
    return json.loads(out.stdout), None


def summary(r):
    """What a table row shows of one run: MACs, count, modeled cycles, flash, RAM, arena, stack."""
    m = r["model"]
    whole = r["cases"][0]
    mem = m["memory"]
    stack = mem.get("stack_used") or 0
    return {
        "macs": m["macs"],
        "count": whole["summary"]["median"],
        "modeled": (whole.get("modeled_summary") or {}).get("median"),
        "flash": mem["text"] + mem["rodata"] + mem["data"],
        "ram": mem["data"] + mem["bss"] + stack,
        "arena": m["arena_bytes"],
        "stack": stack,
    }


def row(tool, target, model):
    corpus = REPO / "suites" / "corpus"
    r, why = run_json(tool, target, corpus / f"{model}.tflite", corpus / model)
    if r is None:
        return f"| {model} | — | failed: {why} | | | |"
    m = r["model"]
    s = summary(r)
    exact = "✔" if m["host_mismatches"] == 0 and not m["reference"]["mismatched"] else "✘"
    per_mac = s["count"] / max(s["macs"], 1)
    return (f"| {model} | {s['macs']:,} | {s['count']:,} ({per_mac:.2f}) | "
            f"{s['modeled']:,} | {kib(s['flash'])} | {kib(s['ram'])}: {kib(s['arena'])}, "
            f"{kib(s['stack'])} | {exact} |")


# The MLPerf Tiny reference models (../shared, beside the repository) and their datasets.
MLPERF = [
    ("kws (DS-CNN)", "kws_ref_model.tflite", "kws"),
    ("vww (MobileNetV1 0.25)", "vww_96_int8.tflite", "vww"),
    ("ic (ResNet-8)", "pretrainedResnet_quant.tflite", "ic"),
    ("ad (FC autoencoder)", "ad01_int8.tflite", "ad"),
]


def mlperf(tool):
    """The MLPerf Tiny table of docs/models.md: sim-cortex-m4 and sim-rv32imac."""
    models = REPO.parent / "shared" / "models" / "mlperf-tiny"
    print("| model | MACs | sim-cortex-m4: instructions, emulated (/MAC) | cycles, modeled | "
          "sim-rv32imac: instructions, emulated (/MAC) | flash (M4) | RAM (M4): arena, stack |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for name, file, dataset in MLPERF:
        runs = [run_json(tool, target, models / file, REPO / "suites" / "datasets" / dataset)
                for target in ("sim-cortex-m4", "sim-rv32imac")]
        why = next((w for r, w in runs if r is None), None)
        if why is not None:
            print(f"| {name} | — | failed: {why} | | | | |", flush=True)
            continue
        m4, rv = (summary(r) for r, _ in runs)
        macs = max(m4["macs"], 1)
        print(f"| {name} | {m4['macs']:,} | {m4['count']:,} ({m4['count'] / macs:.2f}) | "
              f"{m4['modeled']:,} | {rv['count']:,} ({rv['count'] / macs:.2f}) | "
              f"{kib(m4['flash'])} | {kib(m4['ram'])}: {kib(m4['arena'])}, "
              f"{kib(m4['stack'])} |", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--target", default="sim-cortex-m4")
    ap.add_argument("--tinybench", default=str(REPO / "target" / "release" / "tinybench"))
    ap.add_argument("--only", nargs="*", help="measure only these models")
    ap.add_argument("--mlperf", action="store_true",
                    help="print the MLPerf Tiny table instead (needs ../shared/models)")
    args = ap.parse_args()
    if args.mlperf:
        mlperf(args.tinybench)
        return 0
    models = sorted(p.stem for p in (REPO / "suites" / "corpus").glob("*.tflite")
                    if not args.only or p.stem in args.only)
    print(f"| model | MACs | instructions, emulated (/MAC) | cycles, modeled | flash | "
          f"RAM: arena, stack | bit-exact |")
    print("|---|---:|---:|---:|---:|---|---|")
    for model in models:
        print(row(args.tinybench, args.target, model), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
