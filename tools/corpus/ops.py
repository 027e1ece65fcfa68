#!/usr/bin/env python3
"""Where the corpus's instructions go, by TFLite op: runs every corpus model on one target
(tinybench's JSON output) and sums each op's per-layer counts, with its share of all the
corpus's layers and its instructions per MAC (per element for elementwise and table ops,
per tap for pooling: tinybench's "MACs" column). docs/kernels.md's note on which graph ops
have an optimized kernel quotes this table.

    python3 tools/corpus/ops.py [--target sim-cortex-m4] [--variant optimized] [--tinybench PATH]
"""

import argparse
import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--target", default="sim-cortex-m4")
    ap.add_argument("--variant", default="optimized")
    ap.add_argument("--tinybench", default=str(REPO / "target" / "release" / "tinybench"))
    args = ap.parse_args()
    corpus = REPO / "suites" / "corpus"
    count = defaultdict(int)
    macs = defaultdict(int)
    models = defaultdict(set)
    for p in sorted(corpus.glob("*.tflite")):
        cmd = [args.tinybench, "run", "--target", args.target, "--model", str(p),
               "--dataset", str(corpus / p.stem), "--variant", args.variant,
               "--no-save", "--format", "json"]
        out = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
        if out.returncode != 0:
            print(f"{p.stem}: failed", file=sys.stderr)
            continue
        r = json.loads(out.stdout)
        for layer, case in zip(r["model"]["layers"], r["cases"][1:]):
            op = layer["op"]
            count[op] += case["summary"]["median"]
            macs[op] += case["macs"]
            models[op].add(p.stem)
    total = sum(count.values())
    print("| op | models | instructions, emulated | share | per MAC / element / tap |")
    print("|---|---:|---:|---:|---:|")
    for op in sorted(count, key=lambda o: -count[o]):
        per = count[op] / max(macs[op], 1)
        print(f"| {op} | {len(models[op])} | {count[op]:,} | {100 * count[op] / total:.1f} % | {per:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
