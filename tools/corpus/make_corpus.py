#!/usr/bin/env python3
"""Generate tinybench's model corpus: small int8 models made by TensorFlow's converter
(TF 2.21 defaults: per-channel Dense and Conv weights, int8 inputs and outputs), each
with a few inputs and the outputs of LiteRT's reference kernels (BUILTIN_REF) on them.

Writes suites/corpus/<name>.tflite and the dataset directory suites/corpus/<name>/ in the
format of docs/models.md (labels.csv with one column per graph input, inputs/, expected/
with every output back to back, dataset.toml). Run it in its own venv (TensorFlow is not
needed by CI; the corpus is checked in):

    python3 -m venv target/corpus-venv
    target/corpus-venv/bin/pip install -r tools/corpus/requirements.txt
    target/corpus-venv/bin/python tools/corpus/make_corpus.py [--only NAME ...]
"""

import argparse
import os
import shutil
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402
from keras import layers, ops  # noqa: E402
from ai_edge_litert.interpreter import Interpreter, OpResolverType  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "suites" / "corpus"
SAMPLES = 3


def inp(shape, name=None):
    # Batch 1, static: with a dynamic batch the converter emits SHAPE/GATHER arithmetic
    # around FULLY_CONNECTED and reshapes, and dilated convolutions as
    # SPACE_TO_BATCH_ND + CONV_2D + BATCH_TO_SPACE_ND.
    return keras.Input(shape, batch_size=1, name=name)


def seq(shape, *ls):
    x = inp(shape)
    y = x
    for l in ls:
        y = l(y)
    return keras.Model(x, y)


def two(shape_a, shape_b, f):
    # Named so the converter's signature keeps this order (it sorts inputs by name).
    a, b = inp(shape_a, name="in_a"), inp(shape_b, name="in_b")
    return keras.Model([a, b], f(a, b))


def residual():
    x = inp((12, 12, 3))
    y = layers.Conv2D(8, 3, padding="same", activation="relu")(x)
    z = layers.Conv2D(8, 3, padding="same")(y)
    z = layers.Add()([y, z])
    z = layers.ReLU()(z)
    s = layers.Conv2D(8, 1)(z)
    z = layers.Add()([z, s[:, :1, :1, :]])  # broadcast over H and W
    z = layers.GlobalAveragePooling2D()(z)
    return keras.Model(x, layers.Dense(5, activation="softmax")(z))


def fire():
    x = inp((10, 10, 4))
    s = layers.Conv2D(4, 1, activation="relu")(x)
    e1 = layers.Conv2D(6, 1, activation="relu")(s)
    e3 = layers.Conv2D(6, 3, padding="same", activation="relu")(s)
    y = layers.Concatenate()([e1, e3])
    y = layers.MaxPooling2D(2)(y)
    y = layers.GlobalAveragePooling2D()(y)
    return keras.Model(x, layers.Dense(4, activation="softmax")(y))


def tiny_mobilenet():
    x = inp((24, 24, 3))
    y = layers.Conv2D(8, 3, strides=2, padding="same", activation="relu6")(x)
    for c in (12, 16):
        y = layers.DepthwiseConv2D(3, padding="same", activation="relu6")(y)
        y = layers.Conv2D(c, 1, activation="relu6")(y)
    y = layers.GlobalAveragePooling2D()(y)
    return keras.Model(x, layers.Dense(3, activation="softmax")(y))


def audio():
    x = inp((49, 10))
    y = layers.Conv1D(8, 3, strides=2, activation="relu")(x)
    y = layers.Conv1D(8, 3, dilation_rate=2, padding="same", activation="relu")(y)
    y = layers.GlobalAveragePooling1D()(y)
    return keras.Model(x, layers.Dense(4, activation="softmax")(y))


def multi_out():
    x = inp((12,))
    h = layers.Dense(8, activation="relu")(x)
    return keras.Model(x, [layers.Dense(3)(h), layers.Dense(2, activation="sigmoid")(h)])


def split_add():
    x = inp((6, 6, 8))
    a, b = ops.split(x, 2, axis=-1)
    return keras.Model(x, layers.Add()([a, b]))


def stack_unstack():
    a, b = inp((4, 5), name="in_a"), inp((4, 5), name="in_b")
    s = ops.stack([a, b], axis=1)  # [1, 2, 4, 5]
    u = ops.unstack(s, axis=2)  # four [1, 2, 5]
    return keras.Model([a, b], layers.Concatenate(axis=-1)(u))


def const_ops():
    x = inp((4, 4, 6))
    scale = np.linspace(0.5, 1.5, 6).astype(np.float32)
    shift = np.linspace(-1, 1, 6).astype(np.float32)
    y = layers.Lambda(lambda t: t * scale + shift)(x)
    return keras.Model(x, y)


def calibrate_batch_norms(model, seed):
    """Set every BatchNormalization's moving mean and variance to the statistics of its
    input on a random batch, layer after layer, as training would have. With
    weights=None they are 0 and 1, and the activations of a deep random network shrink
    layer by layer (MobileNetV3Small's last ones had scales near 1e-8, and LiteRT's
    reference interpreter aborted on that model); calibrated, every layer sees values of
    order one, as in a trained model."""
    x = np.random.default_rng(seed).normal(0, 1, (16,) + tuple(model.input.shape[1:]))
    for bn in [l for l in model.layers if isinstance(l, layers.BatchNormalization)]:
        a = keras.Model(model.input, bn.input)(x.astype(np.float32), training=False)
        a = np.asarray(a).reshape(-1, a.shape[-1])
        bn.moving_mean.assign(a.mean(axis=0))
        bn.moving_variance.assign(a.var(axis=0) + 1e-3)
    return model


def mobilenet_v3_small():
    # alpha 0.5 keeps the weights near 280 K (0.75 has 580 K without the classifier);
    # the 1024-wide classifier head is left out for the same reason: the backbone
    # (hard-swish, squeeze-excite, its last 1x1 conv) then a 10-class Dense head.
    # No preprocessing layer: the converter's int8 input takes its place.
    base = keras.applications.MobileNetV3Small(
        input_shape=(96, 96, 3), alpha=0.5, include_top=False, weights=None,
        include_preprocessing=False, pooling="avg")
    calibrate_batch_norms(base, 7)
    x = inp((96, 96, 3))
    return keras.Model(x, layers.Dense(10, activation="softmax")(base(x)))


def mobilenet_v2():
    base = keras.applications.MobileNetV2(
        input_shape=(96, 96, 3), alpha=0.35, include_top=True, weights=None, classes=10)
    calibrate_batch_norms(base, 8)
    x = inp((96, 96, 3))
    return keras.Model(x, base(x))


def conv_autoencoder():
    # Encoder: two stride-2 convolutions; decoder: TRANSPOSE_CONV with SAME padding (the
    # odd total padding of kernel 3, stride 2, output 8) and fused RELU, then VALID
    # (8 → 17), and a 2x2 convolution back to 16x16.
    x = inp((16, 16, 2))
    y = layers.Conv2D(8, 3, strides=2, padding="same", activation="relu")(x)
    y = layers.Conv2D(12, 3, strides=2, padding="same", activation="relu")(y)
    y = layers.Conv2DTranspose(8, 3, strides=2, padding="same", activation="relu")(y)
    y = layers.Conv2DTranspose(4, 3, strides=2, padding="valid")(y)
    m = keras.Model(x, layers.Conv2D(2, 2)(y))
    # Keras starts biases at zero, and the converter drops a zero TRANSPOSE_CONV bias.
    for l in m.layers:
        if getattr(l, "bias", None) is not None:
            l.bias.assign(np.linspace(-0.3, 0.3, l.bias.shape[0]).astype(np.float32))
    return m


def attention_matmul():
    # Two BATCH_MATMULs of activations, as self-attention has: q·kᵀ (adj_y) over a batch
    # of 2 heads, then a product with a single-batch operand (broadcast over the heads).
    q, k = inp((2, 4, 6), name="in_a"), inp((2, 5, 6), name="in_b")
    s = ops.matmul(q, ops.transpose(k, (0, 1, 3, 2)))  # [1, 2, 4, 5]
    v = layers.Dense(3)(k[:, 0])  # [1, 5, 3]
    return keras.Model([q, k], ops.matmul(s, ops.expand_dims(v, 1)))


def with_biases(m):
    # Keras starts biases at zero and the converter drops a zero bias: give every layer
    # one, so the int64 biases of the 16x8 kernels are exercised.
    for l in m.layers:
        if getattr(l, "bias", None) is not None:
            l.bias.assign(np.linspace(-0.3, 0.3, l.bias.shape[0]).astype(np.float32))
    return m


def audio_16x8():
    # A spectrogram-style Conv2D stack: stride-2 CONV_2D, DEPTHWISE_CONV_2D SAME, a 1x1
    # CONV_2D, then a Dense head over the flattened features.
    x = inp((16, 10, 1))
    y = layers.Conv2D(8, 3, strides=2, activation="relu")(x)
    y = layers.DepthwiseConv2D(3, padding="same", activation="relu6")(y)
    y = layers.Conv2D(6, 1)(y)
    y = layers.Flatten()(y)
    return with_biases(keras.Model(x, layers.Dense(4)(y)))


def conv1d_16x8():
    x = inp((32, 6))
    y = layers.Conv1D(8, 5, strides=2, activation="relu")(x)
    y = layers.Conv1D(8, 3, dilation_rate=2, padding="same")(y)
    y = layers.Flatten()(y)
    return with_biases(keras.Model(x, layers.Dense(3, activation="relu")(y)))


def residual_16x8():
    x = inp((8, 6, 4))
    y = layers.Conv2D(4, 3, padding="same", activation="relu")(x)
    y = layers.Conv2D(4, 3, padding="same")(y)
    y = layers.ReLU()(layers.Add()([x, y]))
    y = layers.Flatten()(y)
    return with_biases(keras.Model(x, layers.Dense(5)(y)))


MODELS = {
    # name: (builder, description)
    "dense_classifier": (lambda: seq((32,), layers.Dense(16, activation="relu"),
                                     layers.Dense(10), layers.Softmax()),
                         "Keras Dense classifier (per-channel FULLY_CONNECTED, SOFTMAX)"),
    "dense_logistic_tanh": (lambda: seq((16,), layers.Dense(16, activation="tanh"),
                                        layers.Dense(8, activation="sigmoid")),
                            "Dense layers with TANH and LOGISTIC"),
    "dense_3d": (lambda: seq((4, 8), layers.Dense(6, activation="relu")),
                 "Dense over the last axis of a 3-D input (batched FULLY_CONNECTED)"),
    "dense_multi_output": (multi_out, "two output heads"),
    "add_two_inputs": (lambda: two((8, 8, 4), (8, 8, 4), lambda a, b: layers.Add()([a, b])),
                       "ADD of two graph inputs"),
    "add_broadcast": (lambda: two((8, 8, 4), (1, 1, 4), lambda a, b: layers.Add()([a, b])),
                      "ADD broadcasting a per-channel input over H and W"),
    "mul_broadcast": (lambda: two((6, 6, 8), (6, 1, 8), lambda a, b: layers.Multiply()([a, b])),
                      "MUL broadcasting over W"),
    "sub_broadcast": (lambda: two((4, 4, 3), (4, 1, 3), lambda a, b: layers.Subtract()([a, b])),
                      "SUB broadcasting over W"),
    "max_min": (lambda: two((5, 7), (5, 7), lambda a, b: layers.Concatenate()(
        [layers.Maximum()([a, b]), layers.Minimum()([a, b])])), "MAXIMUM, MINIMUM, CONCATENATION"),
    "const_scale_shift": (const_ops, "MUL and ADD by constant per-channel vectors"),
    "gap_cnn": (lambda: seq((16, 16, 3), layers.Conv2D(8, 3, activation="relu"),
                            layers.GlobalAveragePooling2D(), layers.Dense(4),
                            layers.Softmax()), "GlobalAveragePooling2D (MEAN) CNN"),
    "gap_keepdims": (lambda: seq((7, 5, 6), layers.GlobalAveragePooling2D(keepdims=True)),
                     "MEAN over H and W keeping the dimensions"),
    "pad_conv": (lambda: seq((9, 9, 2), layers.ZeroPadding2D(((1, 2), (0, 1))),
                             layers.Conv2D(4, 3)), "PAD then a VALID convolution"),
    "conv_stride_same": (lambda: seq((15, 15, 3), layers.Conv2D(6, 3, strides=2, padding="same",
                                                                activation="relu6")),
                         "CONV_2D stride 2, SAME, fused RELU6"),
    "conv_dilation": (lambda: seq((14, 14, 2), layers.Conv2D(5, 3, dilation_rate=2)),
                      "CONV_2D dilation 2, VALID"),
    "depthwise_multiplier": (lambda: seq((12, 12, 3), layers.DepthwiseConv2D(
        3, strides=2, depth_multiplier=2, padding="same", activation="relu")),
        "DEPTHWISE_CONV_2D depth multiplier 2, stride 2"),
    "pools": (lambda: seq((12, 12, 4), layers.MaxPooling2D(2), layers.AveragePooling2D(
        3, strides=1, padding="same"), layers.Flatten(), layers.Dense(3)),
        "MAX_POOL_2D, AVERAGE_POOL_2D SAME, RESHAPE, FULLY_CONNECTED"),
    "relu_ops": (lambda: seq((6, 6, 4), layers.ReLU()), "standalone RELU"),
    "relu6_op": (lambda: seq((6, 6, 4), layers.ReLU(max_value=6.0)), "standalone RELU6"),
    "leaky_relu": (lambda: seq((6, 6, 4), layers.Conv2D(4, 1), layers.LeakyReLU(0.2)),
                   "LEAKY_RELU"),
    "logistic": (lambda: seq((40,), layers.Activation("sigmoid")), "LOGISTIC"),
    "tanh": (lambda: seq((40,), layers.Activation("tanh")), "TANH"),
    "transpose": (lambda: seq((3, 5, 4), layers.Permute((2, 1, 3))), "TRANSPOSE"),
    "strided_slice": (lambda: seq((9, 8, 3), layers.Lambda(lambda t: t[:, 1:8:2, ::3, 1:])),
                      "STRIDED_SLICE with strides"),
    "split_add": (split_add, "SPLIT into two halves, ADD"),
    "stack_unstack": (stack_unstack, "PACK, UNPACK, CONCATENATION of two inputs"),
    "expand_squeeze": (lambda: seq((10, 3), layers.Lambda(lambda t: ops.squeeze(
        ops.expand_dims(t, 2), 2) * 2.0)), "EXPAND_DIMS/SQUEEZE and MUL by a constant"),
    "conv1d_audio": (audio, "Conv1D audio model (EXPAND_DIMS, CONV_2D, RESHAPE, MEAN)"),
    "residual_cnn": (residual, "residual CNN with ADD and a broadcast ADD"),
    "squeezenet_fire": (fire, "SqueezeNet-style fire module (CONCATENATION)"),
    "tiny_mobilenet": (tiny_mobilenet, "MobileNet-style depthwise-separable CNN"),
    # Added after the first 31: appended so the seeds (by position) of those stay put.
    "hard_swish": (lambda: seq((256,), layers.Activation("hard_swish")), "HARD_SWISH"),
    "mobilenet_v3_small": (mobilenet_v3_small,
                           "Keras MobileNetV3Small, alpha 0.5, 96x96, 10 classes"),
    "mobilenet_v2": (mobilenet_v2, "Keras MobileNetV2, alpha 0.35, 96x96, 10 classes"),
    "conv_autoencoder": (conv_autoencoder,
                         "conv autoencoder: TRANSPOSE_CONV SAME with RELU, and VALID"),
    "batch_matmul": (attention_matmul,
                     "BATCH_MATMUL of two activations (q·kᵀ over two heads, then a broadcast)"),
    "dense_16x8": (lambda: with_biases(seq((32,), layers.Dense(16, activation="relu"),
                                           layers.Dense(10), layers.Softmax())),
                   "16x8 Dense classifier (int16 activations, per-channel FULLY_CONNECTED, SOFTMAX)"),
    "audio_16x8": (audio_16x8, "16x8 Conv2D audio model (CONV_2D, DEPTHWISE_CONV_2D, FC)"),
    "conv1d_16x8": (conv1d_16x8, "16x8 Conv1D model (EXPAND_DIMS, dilated CONV_2D, RESHAPE)"),
    "residual_16x8": (residual_16x8, "16x8 residual block (CONV_2D, ADD of int16 tensors, RELU)"),
    "dense_16x8_per_tensor": (lambda: with_biases(seq((24,), layers.Dense(12, activation="relu"),
                                                      layers.Dense(6))),
                              "16x8 Dense layers with per-tensor weights"),
}


# Converted in TFLite's 16x8 mode (int16 activations with zero point 0, int8 weights,
# int64 biases): EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8.
INT16X8 = {"dense_16x8", "audio_16x8", "conv1d_16x8", "residual_16x8", "dense_16x8_per_tensor"}
# Converted with per-tensor Dense weights (the converter's
# `_experimental_disable_per_channel_quantization_for_dense_layers`).
PER_TENSOR_DENSE = {"dense_16x8_per_tensor"}


def convert(model, rng, int16x8=False, per_tensor_dense=False):
    shapes = {i.name: tuple(i.shape[1:]) for i in model.inputs}

    def rep():
        # Keyed by input name: the converter's signature does not keep the model's order.
        for _ in range(64):
            yield {n: rng.normal(0, 1, (1,) + s).astype(np.float32) for n, s in shapes.items()}

    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = rep
    if per_tensor_dense:
        conv._experimental_disable_per_channel_quantization_for_dense_layers = True
    if int16x8:
        conv.target_spec.supported_ops = [
            tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8]
        conv.inference_input_type = tf.int16
        conv.inference_output_type = tf.int16
    else:
        conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        conv.inference_input_type = tf.int8
        conv.inference_output_type = tf.int8
    return conv.convert()


def write(name, description, tflite, rng):
    path = OUT / f"{name}.tflite"
    path.write_bytes(tflite)
    it = Interpreter(model_path=str(path), num_threads=1,
                     experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
    it.allocate_tensors()
    ins, outs = it.get_input_details(), it.get_output_details()
    d = OUT / name
    shutil.rmtree(d, ignore_errors=True)
    (d / "inputs").mkdir(parents=True)
    (d / "expected").mkdir()
    cols = ["file"] if len(ins) == 1 else [f"file_{k}" for k in range(len(ins))]
    rows = [",".join(cols + ["label"])]
    for j in range(SAMPLES):
        files = []
        for k, det in enumerate(ins):
            # int8, or int16 (16x8 models): every value of the type, little-endian.
            info = np.iinfo(det["dtype"])
            q = rng.integers(info.min, info.max + 1, det["shape"], dtype=det["dtype"])
            it.set_tensor(det["index"], q)
            f = f"inputs/{j:03}.bin" if len(ins) == 1 else f"inputs/{j:03}_{k}.bin"
            (d / f).write_bytes(q.tobytes())
            files.append(f)
        it.invoke()
        out = b"".join(it.get_tensor(o["index"]).astype(o["dtype"]).astype(
            np.dtype(o["dtype"]).newbyteorder("<")).tobytes() for o in outs)
        (d / "expected" / Path(files[0]).name).write_bytes(out)
        rows.append(",".join(files + [""]))
    (d / "labels.csv").write_text("\n".join(rows) + "\n")
    (d / "dataset.toml").write_text(
        f'model = "{name}.tflite"\ngenerator = "tools/corpus/make_corpus.py (TensorFlow '
        f'{tf.__version__}, LiteRT BUILTIN_REF)"\ndescription = "{description}"\n')


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", nargs="*", help="regenerate only these models")
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    failed = []
    for i, (name, (build, description)) in enumerate(MODELS.items()):
        if args.only and name not in args.only:
            continue
        keras.utils.set_random_seed(1000 + i)
        rng = np.random.default_rng(2000 + i)
        try:
            tflite = convert(build(), rng, name in INT16X8, name in PER_TENSOR_DENSE)
            write(name, description, tflite, rng)
            print(f"{name}: {(OUT / f'{name}.tflite').stat().st_size} bytes")
        except Exception as e:  # report and go on: one model's converter trouble
            failed.append(name)
            print(f"{name}: FAILED: {e}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
