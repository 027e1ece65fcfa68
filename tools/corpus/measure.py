#!/usr/bin/env python3
"""Measure every corpus model on one target and print the Markdown table of docs/models.md
(instructions, modeled cycles, flash and RAM per model), from tinybench's own JSON output.

    cargo build --release -p tinybench
    python3 tools/corpus/measure.py [--target sim-cortex-m4] [--tinybench target/release/tinybench] [--only NAME ...]

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


def row(tool, target, model):
    corpus = REPO / "suites" / "corpus"
    cmd = [tool, "run", "--target", target, "--model", str(corpus / f"{model}.tflite"),
           "--dataset", str(corpus / model), "--no-save", "--format", "json"]
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
    if out.returncode != 0:
        why = (out.stderr.strip().splitlines() or ["(no message)"])[-1]
        return f"| {model} | — | failed: {why} | | | |"
    r = json.loads(out.stdout)
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


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--target", default="sim-cortex-m4")
    ap.add_argument("--tinybench", default=str(REPO / "target" / "release" / "tinybench"))
    ap.add_argument("--only", nargs="*", help="measure only these models")
    args = ap.parse_args()
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
