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


def row(tool, target, model):
    corpus = REPO / "suites" / "corpus"
    r, why = run_json(tool, target, corpus / f"{model}.tflite", corpus / model)
    if r is None:
        return f"| {model} | — | failed: {why} | | | |"
    m = r["model"]
    whole = r["cases"][0]
    count = whole["summary"]["median"]
    modeled = (whole.get("modeled_summary") or {}).get("median")
    mem = m["memory"]
    flash = mem["text"] + mem["rodata"] + mem["data"]
    ram = mem["data"] + mem["bss"] + (mem.get("stack_used") or 0)
    exact = "✔" if m["host_mismatches"] == 0 and not m["reference"]["mismatched"] else "✘"
    per_mac = count / max(m["macs"], 1)
    return (f"| {model} | {m['macs']:,} | {count:,} ({per_mac:.2f}) | "
            f"{modeled:,} | {kib(flash)} | {kib(ram)}: {kib(m['arena_bytes'])}, "
            f"{kib(mem.get('stack_used') or 0)} | {exact} |")


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
        cells = []
        for target in ("sim-cortex-m4", "sim-rv32imac"):
            r, why = run_json(tool, target, models / file, REPO / "suites" / "datasets" / dataset)
            if r is None:
                cells.append((None, why))
            else:
                cells.append((r, None))
        (m4, why4), (rv, whyrv) = cells
        if m4 is None or rv is None:
            print(f"| {name} | — | failed: {why4 or whyrv} | | | | |", flush=True)
            continue
        m = m4["model"]
        macs = max(m["macs"], 1)
        c4 = m4["cases"][0]["summary"]["median"]
        modeled = (m4["cases"][0].get("modeled_summary") or {}).get("median")
        crv = rv["cases"][0]["summary"]["median"]
        mem = m["memory"]
        flash = mem["text"] + mem["rodata"] + mem["data"]
        stack = mem.get("stack_used") or 0
        ram = mem["data"] + mem["bss"] + stack
        print(f"| {name} | {m['macs']:,} | {c4:,} ({c4 / macs:.2f}) | {modeled:,} | "
              f"{crv:,} ({crv / macs:.2f}) | {kib(flash)} | {kib(ram)}: "
              f"{kib(m['arena_bytes'])}, {kib(stack)} |", flush=True)


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
