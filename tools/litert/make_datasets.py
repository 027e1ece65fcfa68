#!/usr/bin/env python3
"""Generate tinybench's synthetic labelled datasets and their LiteRT expected outputs.

For each MLPerf Tiny model this writes suites/datasets/<short>/ in the dataset directory
format of docs/models.md: deterministic synthetic int8 inputs (numpy default_rng with a
fixed seed per model), the outputs of the LiteRT interpreter with its reference kernels
(OpResolverType.BUILTIN_REF) on them, synthetic labels, and metrics.json: the quality
metrics the device must reproduce, computed here by the definitions of
results/src/metrics.rs (same formulas, same summation order).

    python tools/litert/make_datasets.py             # regenerate suites/datasets/
    python tools/litert/make_datasets.py --check     # compare with the checked-in files

--check exits 1 naming the first differing file, 0 when everything matches; 2 when it
cannot run (a model is missing).
"""

import argparse
import filecmp
import importlib.metadata
import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
from ai_edge_litert.interpreter import Interpreter, OpResolverType

REPO = Path(__file__).resolve().parents[2]

# short name, model file, task, samples, seed, input generation, relabelled sample indices.
# Classifier labels are the LiteRT argmax except at `relabelled`, where the label is
# deliberately (argmax + 1) % classes, so accuracy is (samples - len(relabelled)) / samples.
# For "ad", odd-indexed samples are anomalous (label 1): drawn with a wider spread.
MODELS = [
    dict(short="kws", model="kws_ref_model.tflite", task="classification", samples=8,
         seed=9101, center=None, sigma=25.0, relabelled=[2, 5],
         description="DS-CNN keyword spotting on synthetic MFCC-like noise"),
    dict(short="vww", model="vww_96_int8.tflite", task="classification", samples=3,
         seed=9102, center=0.0, sigma=50.0, relabelled=[1],
         description="MobileNet visual wake words on synthetic 96x96 RGB noise"),
    dict(short="ic", model="pretrainedResnet_quant.tflite", task="classification", samples=6,
         seed=9103, center=0.0, sigma=50.0, relabelled=[4],
         description="ResNet-8 CIFAR-10 image classification on synthetic 32x32 RGB noise"),
    dict(short="ad", model="ad01_int8.tflite", task="anomaly", samples=12,
         seed=9104, center=None, sigma=8.0, anomalous_sigma=12.0, relabelled=[],
         description="FC autoencoder anomaly detection on synthetic log-mel-like noise; "
                     "odd samples are anomalous (1.5x the spread)"),
]


# ---- metrics: the definitions of results/src/metrics.rs, in the same order ----

def ratio(num, den):
    return 0.0 if den == 0 else num / den


def empty_metrics(task, samples, labelled):
    return dict(task=task, samples=samples, labelled=labelled, accuracy=None,
                precision=None, recall=None, f1=None, roc_auc=None, threshold=None)


def classification(predicted, labels):
    n = min(len(predicted), len(labels))
    m = empty_metrics("classification", len(predicted), n)
    if n == 0:
        return m
    predicted, labels = predicted[:n], labels[:n]
    p_sum = r_sum = f_sum = 0.0
    classes = sorted(set(predicted) | set(labels))
    for c in classes:
        tp = sum(1 for p, l in zip(predicted, labels) if p == c and l == c)
        fp = sum(1 for p, l in zip(predicted, labels) if p == c and l != c)
        fn = sum(1 for p, l in zip(predicted, labels) if p != c and l == c)
        p_sum += ratio(tp, tp + fp)
        r_sum += ratio(tp, tp + fn)
        f_sum += ratio(2 * tp, 2 * tp + fp + fn)
    k = float(len(classes))
    m["accuracy"] = ratio(sum(1 for p, l in zip(predicted, labels) if p == l), n)
    m["precision"] = p_sum / k
    m["recall"] = r_sum / k
    m["f1"] = f_sum / k
    return m


def binary_at(scores, anomalous, t):
    tp = fp = fn = tn = 0
    for s, a in zip(scores, anomalous):
        flagged = s > t
        if flagged and a:
            tp += 1
        elif flagged:
            fp += 1
        elif a:
            fn += 1
        else:
            tn += 1
    return (ratio(tp + tn, len(scores)), ratio(tp, tp + fp), ratio(tp, tp + fn),
            ratio(2 * tp, 2 * tp + fp + fn))


def roc_auc(scores, anomalous):
    pos = sum(1 for a in anomalous if a)
    neg = len(anomalous) - pos
    if pos == 0 or neg == 0:
        return None
    order = sorted(range(len(scores)), key=lambda k: scores[k])
    rank_sum = 0.0
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and scores[order[j + 1]] == scores[order[i]]:
            j += 1
        midrank = (i + j + 2) / 2.0
        rank_sum += midrank * float(sum(1 for k in order[i:j + 1] if anomalous[k]))
        i = j + 1
    p = float(pos)
    return (rank_sum - p * (p + 1.0) / 2.0) / (p * float(neg))


def best_threshold(scores, anomalous):
    distinct = sorted(set(scores))
    candidates = [distinct[0] - 1.0] + [(a + b) / 2.0 for a, b in zip(distinct, distinct[1:])]
    best_t, best_f1 = candidates[0], binary_at(scores, anomalous, candidates[0])[3]
    for t in candidates[1:]:
        f1 = binary_at(scores, anomalous, t)[3]
        if f1 > best_f1:
            best_t, best_f1 = t, f1
    return best_t


def anomaly(scores, labels, threshold=None):
    n = min(len(scores), len(labels))
    m = empty_metrics("anomaly", len(scores), n)
    if n == 0:
        return m
    scores = scores[:n]
    anomalous = [l != 0 for l in labels[:n]]
    m["roc_auc"] = roc_auc(scores, anomalous)
    if threshold is None:
        if m["roc_auc"] is None:
            return m
        threshold = best_threshold(scores, anomalous)
    acc, p, r, f1 = binary_at(scores, anomalous, threshold)
    m.update(threshold=threshold, accuracy=acc, precision=p, recall=r, f1=f1)
    return m


def anomaly_score(x, in_scale, in_zp, y, out_scale, out_zp):
    """MSE of the dequantized input and output, summed in order as the Rust code does."""
    n = min(len(x), len(y))
    if n == 0:
        return 0.0
    total = 0.0
    for a, b in zip(x.tolist(), y.tolist()):
        d = float(a - in_zp) * in_scale - float(b - out_zp) * out_scale
        total += d * d
    return total / float(n)


# ---- generation ----

def versions():
    return {p: importlib.metadata.version(p) for p in ("ai-edge-litert", "numpy")}


def toml_str(s):
    return json.dumps(s)  # a JSON string of ASCII text is a valid TOML basic string


def generate(spec, models_dir, out_dir):
    path = models_dir / spec["model"]
    if not path.is_file():
        print(f"make_datasets: no model {path} (set --models or TINYBENCH_MODELS_DIR)",
              file=sys.stderr)
        sys.exit(2)
    it = Interpreter(model_path=str(path), num_threads=1,
                     experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
    it.allocate_tensors()
    inp, out = it.get_input_details()[0], it.get_output_details()[0]
    assert inp["dtype"] == np.int8 and out["dtype"] == np.int8, "int8 models only"
    in_scale, in_zp = (float(v) for v in inp["quantization"])
    out_scale, out_zp = (float(v) for v in out["quantization"])
    in_zp, out_zp = int(in_zp), int(out_zp)
    shape = tuple(inp["shape"])
    classes = int(np.prod(out["shape"]))

    rng = np.random.default_rng(spec["seed"])
    center = float(in_zp) if spec["center"] is None else spec["center"]
    d = out_dir / spec["short"]
    (d / "inputs").mkdir(parents=True)
    (d / "expected").mkdir()
    rows, predicted, labels, scores = [], [], [], []
    for i in range(spec["samples"]):
        anomalous = spec["task"] == "anomaly" and i % 2 == 1
        sigma = spec["anomalous_sigma"] if anomalous else spec["sigma"]
        x = np.clip(np.round(rng.normal(center, sigma, size=shape)), -128, 127).astype(np.int8)
        it.set_tensor(inp["index"], x)
        it.invoke()
        y = it.get_tensor(out["index"]).astype(np.int8)
        name = f"{i:03d}.bin"
        (d / "inputs" / name).write_bytes(x.tobytes())
        (d / "expected" / name).write_bytes(y.tobytes())
        if spec["task"] == "anomaly":
            label = 1 if anomalous else 0
            scores.append(anomaly_score(x.reshape(-1), in_scale, in_zp, y.reshape(-1),
                                        out_scale, out_zp))
        else:
            top = int(np.argmax(y.reshape(-1)))  # first maximum, as the device must pick
            predicted.append(top)
            label = (top + 1) % classes if i in spec["relabelled"] else top
        labels.append(label)
        rows.append(f"inputs/{name},{label}\n")
    (d / "labels.csv").write_text("file,label\n" + "".join(rows))

    if spec["task"] == "anomaly":
        metrics = anomaly(scores, labels)
    else:
        metrics = classification(predicted, labels)
    (d / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")

    v = versions()
    generator = (f"tools/litert/make_datasets.py (ai-edge-litert {v['ai-edge-litert']}, "
                 f"numpy {v['numpy']}, LiteRT reference kernels)")
    meta = [
        f"task = {toml_str(spec['task'])}",
        f"model = {toml_str(spec['model'])}",
        f"generator = {toml_str(generator)}",
        f"description = {toml_str(spec['description'] + ' (synthetic inputs and labels)')}",
        "# Informational, for readers; tinybench takes quantization from the model.",
        f"seed = {spec['seed']}",
        f"input_scale = {in_scale!r}",
        f"input_zero_point = {in_zp}",
        f"output_scale = {out_scale!r}",
        f"output_zero_point = {out_zp}",
        f"relabelled = {spec['relabelled']!r}",
    ]
    (d / "dataset.toml").write_text("\n".join(meta) + "\n")


def files_under(root):
    return sorted(p.relative_to(root) for p in root.rglob("*") if p.is_file())


def check(fresh, checked_in, shorts):
    """The first difference between the fresh and checked-in datasets, or None."""
    for short in shorts:
        a, b = fresh / short, checked_in / short
        if not b.is_dir():
            return f"{b} is missing"
        fa, fb = files_under(a), files_under(b)
        for rel in sorted(set(fa) | set(fb)):
            if rel not in fb:
                return f"{b / rel} is missing"
            if rel not in fa:
                return f"{b / rel} is not produced by the generator"
            if not filecmp.cmp(a / rel, b / rel, shallow=False):
                return f"{b / rel} differs from what the generator produces"
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    default_models = os.environ.get("TINYBENCH_MODELS_DIR") or str(
        REPO / ".." / "shared" / "models" / "mlperf-tiny")
    ap.add_argument("--models", default=default_models,
                    help="directory of the MLPerf Tiny .tflite files "
                         "(default: $TINYBENCH_MODELS_DIR or ../shared/models/mlperf-tiny)")
    ap.add_argument("--out", default=str(REPO / "suites" / "datasets"),
                    help="where the dataset directories go (default: suites/datasets)")
    ap.add_argument("--check", action="store_true",
                    help="regenerate into a temporary directory and compare byte for byte")
    args = ap.parse_args()
    models_dir, out = Path(args.models), Path(args.out)
    shorts = [s["short"] for s in MODELS]

    with tempfile.TemporaryDirectory(prefix="tinybench-datasets-") as tmp:
        fresh = Path(tmp)
        for spec in MODELS:
            generate(spec, models_dir, fresh)
        if args.check:
            diff = check(fresh, out, shorts)
            if diff:
                print(f"make_datasets --check: {diff}; regenerate with "
                      "tools/litert/make_datasets.py (see tools/litert/README.md)",
                      file=sys.stderr)
                return 1
            print(f"make_datasets --check: {', '.join(shorts)} match {out}")
            return 0
        for short in shorts:
            target = out / short
            if target.exists():
                for p in sorted(target.rglob("*"), reverse=True):
                    p.unlink() if p.is_file() else p.rmdir()
                target.rmdir()
            target.parent.mkdir(parents=True, exist_ok=True)
            # copy, not rename: the temporary directory may be on another filesystem
            for rel in files_under(fresh / short):
                (target / rel).parent.mkdir(parents=True, exist_ok=True)
                (target / rel).write_bytes((fresh / short / rel).read_bytes())
            print(f"make_datasets: wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
