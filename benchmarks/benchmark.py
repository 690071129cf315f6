"""Speed and memory of vae_helpers against a keras.io-style baseline, in one run.

    .venv/bin/python benchmarks/benchmark.py [--out benchmarks/results.json]

Every part runs in its own Python process on the same data: 60,000 RANDOM
images of MNIST shape (uniform in [0, 1]; timing does not depend on the
pixels), so the peak resident memory of each part is measured separately.
The baseline trains the same encoder and decoder the way the keras.io VAE
example does: a subclassed model with a ``GradientTape`` ``train_step`` and
``fit`` on numpy arrays with Keras' defaults. FLOPs count the matrix
multiplications and convolutions of a training step (forward, weight
gradients and input gradients, none for the input images).

The sweeps are timed at two lengths (1 and 3 epochs), in two rounds that
alternate the sweeps (so a slow spell of the machine slows them all), keeping
each length's faster time: the difference gives the cost of an epoch
(training, validation and the fused checkpoint), the rest is set-up (building,
compiling, the test evaluation and storing results). The matmul rates are measured first and again
last, keeping the faster of each. bfloat16 rows run where the CPU has bfloat16
instructions; the fidelity part trains the sweep on real MNIST in both
precisions and compares the test losses.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

N_IMAGES = 60_000
CONV_FRACTION = 5          # conv epochs are timed on 1/5 of the images, then scaled
SWEEP_LENGTHS = (1, 3)     # epochs of the two timed sweep lengths
REPEATS = 2                # each timed part runs this often; the fastest counts
FIDELITY_EPOCHS = 10
SWEEP = dict(coefficients=(0, 0.02, 0.1, 0.5, 1, 2, 10, 20), epochs=40, batch_size=128)
BF16 = "mixed_bfloat16"
CPU_FLAGS = ("avx2", "avx512f", "avx512_bf16", "amx_tile", "amx_bf16")


def cpu_description():
    """The CPU's model name and which of ``CPU_FLAGS`` it has (Linux; else the platform)."""
    try:
        with open("/proc/cpuinfo") as handle:
            info = handle.read()
    except OSError:
        return {"model": platform.processor() or platform.machine(), "flags": []}
    fields = dict(line.split(":", 1) for line in info.splitlines() if ":" in line)
    flags = set(fields.get("flags\t\t", fields.get("flags", "")).split())
    model = fields.get("model name\t", fields.get("model name", platform.machine())).strip()
    return {"model": model, "flags": [f for f in CPU_FLAGS if f in flags]}


def bf16_supported(cpu):
    """bfloat16 arithmetic in hardware: AVX-512 BF16 or AMX on the CPU."""
    return bool({"avx512_bf16", "amx_bf16"} & set(cpu["flags"]))


def _images(shape):
    import numpy as np

    return np.random.default_rng(0).random((N_IMAGES, *shape), dtype=np.float32)


def _best(function, repeats=None):
    """The fastest of ``repeats`` (default REPEATS) timed calls of ``function``
    (seconds), and all the times."""
    times = []
    for _ in range(repeats or REPEATS):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times), times


def _keras_io_vae(encoder, decoder):
    """The training mechanics of the keras.io VAE example around our layers."""
    import keras
    import tensorflow as tf
    from keras import ops

    class KerasIOVAE(keras.Model):
        def __init__(self):
            super().__init__()
            self.encoder, self.decoder = encoder, decoder
            self.trackers = [keras.metrics.Mean(name=n) for n in ("loss", "reconstruction", "kl")]

        @property
        def metrics(self):
            return self.trackers

        def train_step(self, data):
            with tf.GradientTape() as tape:
                z_mean, z_log_var, z = self.encoder(data)
                x_hat = self.decoder(z)
                pixels = keras.losses.binary_crossentropy(data[..., None], x_hat[..., None])
                recon = ops.mean(ops.sum(pixels, axis=tuple(range(1, len(pixels.shape)))))
                kl = -0.5 * (1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var))
                kl = ops.mean(ops.sum(kl, axis=1))
                total = recon + kl
            grads = tape.gradient(total, self.trainable_weights)
            self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
            for tracker, value in zip(self.trackers, (total, recon, kl)):
                tracker.update_state(value)
            return {t.name: t.result() for t in self.trackers}

    return KerasIOVAE()


def _model(kind, style, precision="float32"):
    import keras

    from vae_helpers import models, training

    with training.precision(precision):
        if kind == "dense":
            parts = models.dense_encoder(), models.dense_decoder()
        else:
            parts = models.conv_encoder(), models.conv_decoder()
        if style == "baseline":
            model = _keras_io_vae(*parts)
            model.compile(optimizer=keras.optimizers.Adam(1e-3))
        else:  # as the notebooks compile it
            model = models.VAE(*parts)
            model.compile(optimizer=keras.optimizers.Adam(1e-3), **training.compile_settings(model))
    return model, parts


def _fit(model, x, batch, style):
    """One epoch: numpy with Keras' defaults (baseline), or the project's pipeline."""
    from vae_helpers import training

    if style == "baseline":
        model.fit(x, epochs=1, batch_size=batch, verbose=0)
    else:
        model.fit(training.array_dataset(x, batch), epochs=1, verbose=0, shuffle=False)


def training_flops(encoder, decoder):
    """FLOPs of one training example: 2 per multiply-add, forward plus the weight
    gradients, plus input gradients for every layer but the first."""
    import keras

    total = 0
    for part in (encoder, decoder):
        for layer in part.layers:
            if isinstance(layer, keras.layers.Dense):
                macs = layer.kernel.shape[0] * layer.kernel.shape[1]
            elif isinstance(layer, keras.layers.Conv2DTranspose):
                h, w = layer.input.shape[1:3]
                macs = h * w * int(keras.ops.size(layer.kernel))
            elif isinstance(layer, keras.layers.Conv2D):
                h, w = layer.output.shape[1:3]
                macs = h * w * int(keras.ops.size(layer.kernel))
            else:
                continue
            first = part is encoder and total == 0
            total += 2 * macs * (2 if first else 3)
    return total


def _matmul_rate(m, k, n, dtype, batch=None, reps=50, xla=False):
    """GFLOP/s of a ``(batch,) m x k @ k x n`` product in a ``tf.function`` (compiled
    with XLA if ``xla``), best of 5 rounds."""
    import numpy as np
    import tensorflow as tf

    lead = (batch,) if batch else ()
    a = tf.cast(tf.random.normal((*lead, m, k)), dtype)
    b = tf.cast(tf.random.normal((*lead, k, n)), dtype)
    product = tf.function(lambda a, b: tf.matmul(a, b), jit_compile=xla)
    product(a, b).numpy()
    best = np.inf
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(reps):
            out = product(a, b)
        out.numpy()
        best = min(best, (time.perf_counter() - start) / reps)
    return 2 * (batch or 1) * m * k * n / best / 1e9


def part_matmul(dtype="float32"):
    """The square peak, the dense VAE's own shape, and the fused sweep's two shapes
    (the first layer of 8 runs as one wide product; the output layer batched), the
    last also inside XLA, which compiles the dense models' training steps."""
    runs = len(SWEEP["coefficients"])
    return {"peak_gflops": _matmul_rate(2048, 2048, 2048, dtype, reps=5),
            "dense_shape_gflops": _matmul_rate(128, 784, 512, dtype, reps=200),
            "fused_wide_gflops": _matmul_rate(128, 784, 512 * runs, dtype, reps=50),
            "fused_batched_gflops": _matmul_rate(128, 512, 784, dtype, batch=runs, reps=50),
            "fused_batched_xla_gflops": _matmul_rate(128, 512, 784, dtype, batch=runs, reps=50,
                                                     xla=True)}


def part_epoch(kind, style, precision="float32"):
    """Seconds of a 60,000-image epoch, the fastest of REPEATS + 1 (conv: timed on a
    fifth, scaled)."""
    batch = 128 if kind == "dense" else 32
    shape = (784,) if kind == "dense" else (28, 28, 1)
    x = _images(shape)
    n = len(x) if kind == "dense" else len(x) // CONV_FRACTION
    model, (encoder, decoder) = _model(kind, style, precision)
    _fit(model, x[:20 * batch], batch, style)  # trace and compile
    seconds, times = _best(lambda: _fit(model, x[:n], batch, style), REPEATS + 1)
    scale = len(x) / n
    return {"seconds": seconds * scale, "all_seconds": [t * scale for t in times],
            "flops": training_flops(encoder, decoder) * len(x), "batch_size": batch}


def _sweep(data, folder, epochs, fused, precision):
    from vae_helpers import experiments

    return experiments.kl_sweep(data, folder, coefficients=SWEEP["coefficients"], epochs=epochs,
                                batch_size=SWEEP["batch_size"], progress=False, fused=fused,
                                precision=precision)


def part_sweep(fused, precision="float32"):
    """The sweep timed once at each of SWEEP_LENGTHS (``main`` runs it REPEATS times,
    alternating with the other sweeps, and keeps each length's fastest)."""
    import gc
    import tempfile

    import keras

    from vae_helpers.data import MNIST

    x = _images((784,))
    data = MNIST(x, None, x[:10_000], None, "random")
    measured = {}
    for epochs in SWEEP_LENGTHS:
        def once():
            with tempfile.TemporaryDirectory() as folder:
                _sweep(data, folder, epochs, fused, precision)
            keras.backend.clear_session()  # so the peak memory is that of one sweep
            gc.collect()
        measured[str(epochs)] = _best(once, 1)[1]
    model, (encoder, decoder) = _model("dense", "project")
    flops = training_flops(encoder, decoder) * len(x) * len(SWEEP["coefficients"])
    return sweep_summary({"measured": measured, "flops": flops})


def sweep_summary(result, more=None):
    """Set-up, per-epoch and 40-epoch seconds of a sweep from the fastest time at each
    length, over its measurements and those of ``more`` (another round's result)."""
    measured = {length: [*times, *(more["measured"][length] if more else [])]
                for length, times in result["measured"].items()}
    (short, t_short), (long, t_long) = ((e, min(measured[str(e)])) for e in SWEEP_LENGTHS)
    per_epoch = (t_long - t_short) / (long - short)
    setup = t_short - short * per_epoch
    summary = {**result, "measured": measured, "seconds": per_epoch, "setup_seconds": setup,
               "total_seconds": setup + SWEEP["epochs"] * per_epoch}
    if more:  # the peak memory of any round, the wall time of all
        summary["peak_rss_gb"] = max(result["peak_rss_gb"], more["peak_rss_gb"])
        summary["wall_seconds"] = result["wall_seconds"] + more["wall_seconds"]
    return summary


def part_fidelity():
    """The fused sweep on real MNIST in float32 and in bfloat16, same data and seed."""
    import tempfile

    from vae_helpers.data import load_mnist

    data = load_mnist()
    tables = {}
    for precision in ("float32", BF16):
        with tempfile.TemporaryDirectory() as folder:
            table = _sweep(data, folder, FIDELITY_EPOCHS, True, precision)
        tables[precision] = {column: [float(v) for v in table[column]] for column in table}
    return {"data": data.source, "n_train": len(data.x_train), "epochs": FIDELITY_EPOCHS,
            "tables": tables}


def fidelity_summary(fidelity):
    """Relative difference of the c = 1 test loss, and whether each test term's order
    across c is the same in both precisions."""
    import numpy as np

    f32, bf16 = fidelity["tables"]["float32"], fidelity["tables"][BF16]
    one = f32["c"].index(1.0)
    summary = {"c1_test_loss_float32": f32["test_total"][one],
               "c1_test_loss_bf16": bf16["test_total"][one]}
    summary["c1_relative_difference"] = abs(summary["c1_test_loss_bf16"]
                                            / summary["c1_test_loss_float32"] - 1)
    for term in ("test_reconstruction", "test_kl"):
        summary[f"{term}_same_order"] = bool(
            (np.argsort(f32[term], kind="stable") == np.argsort(bf16[term], kind="stable")).all())
    return summary


PARTS = {
    "matmul": part_matmul,
    "matmul_bf16": lambda: part_matmul("bfloat16"),
    "dense_baseline": lambda: part_epoch("dense", "baseline"),
    "dense_project": lambda: part_epoch("dense", "project"),
    "dense_project_bf16": lambda: part_epoch("dense", "project", BF16),
    "conv_baseline": lambda: part_epoch("conv", "baseline"),
    "conv_project": lambda: part_epoch("conv", "project"),
    "sweep_sequential": lambda: part_sweep(fused=False),
    "sweep_fused": lambda: part_sweep(fused=True),
    "sweep_fused_bf16": lambda: part_sweep(fused=True, precision=BF16),
    "fidelity": part_fidelity,
}
SWEEPS = {"sweep_sequential", "sweep_fused", "sweep_fused_bf16"}
NEEDS_BF16 = {"matmul_bf16", "dense_project_bf16", "sweep_fused_bf16", "fidelity"}
# each row's speed-up is over the row named here
BASELINES = {"dense_project": "dense_baseline", "dense_project_bf16": "dense_project",
             "conv_project": "conv_baseline", "sweep_fused": "sweep_sequential",
             "sweep_fused_bf16": "sweep_fused"}


def run_part(name):
    """Run one part in a fresh process; return its result and peak RSS (GB)."""
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, __file__, "--part", name],
                               stdout=subprocess.PIPE, text=True)
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    if status != 0:
        raise SystemExit(f"benchmark part {name!r} failed (status {status}).")
    result = json.loads(output.strip().splitlines()[-1])
    result["peak_rss_gb"] = usage.ru_maxrss * 1024 / 1e9  # ru_maxrss is in KiB on Linux
    result["wall_seconds"] = time.perf_counter() - start
    return result


def report(results, cpu):
    """The table: each part's seconds, its rate against the matmul rate at the dense
    VAE's shape and against the square peak (of its own precision), its speed-up."""
    rows = [("part", "s/epoch", "set-up s", "40 epochs", "GFLOP/s", "% shape", "% peak",
             "speed-up", "RSS GB")]
    for name, r in results.items():
        if name.startswith("matmul") or name == "fidelity":
            continue
        matmul = results["matmul_bf16" if name.endswith("bf16") else "matmul"]
        gflops = r["flops"] / r["seconds"] / 1e9
        base = BASELINES.get(name)
        ratio = f"{results[base]['seconds'] / r['seconds']:.2f}x" if base in results else ""
        sweep = "total_seconds" in r
        rows.append((name, f"{r['seconds']:.1f}",
                     f"{r['setup_seconds']:.0f}" if sweep else "",
                     f"{r['total_seconds'] / 60:.1f} min" if sweep else "",
                     f"{gflops:.0f}",
                     "" if name.startswith("conv") else
                     f"{100 * gflops / matmul['dense_shape_gflops']:.0f}",
                     f"{100 * gflops / matmul['peak_gflops']:.0f}", ratio,
                     f"{r['peak_rss_gb']:.2f}"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.rjust(w) if i else cell.ljust(w)
                       for i, (cell, w) in enumerate(zip(row, widths))) for row in rows]
    head = [f"CPU: {cpu['model']} ({', '.join(cpu['flags']) or 'none of ' + ', '.join(CPU_FLAGS)})"]
    for name, label in (("matmul", "float32"), ("matmul_bf16", "bfloat16")):
        if name in results:
            m = results[name]
            head.append(f"{label} matmul GFLOP/s: {m['peak_gflops']:.0f} peak (2048^3), "
                        f"{m['dense_shape_gflops']:.0f} at the dense VAE's shape (128x784 @ "
                        f"784x512), {m['fused_wide_gflops']:.0f} as one wide product of 8 runs, "
                        f"{m['fused_batched_gflops']:.0f} as 8 batched products "
                        f"({m['fused_batched_xla_gflops']:.0f} inside XLA)")
    if "matmul" in results:  # a step's large products: 2 of the first layer, 3 of the output
        m = results["matmul"]
        ceiling = 5 / m["dense_shape_gflops"] / (2 / m["fused_wide_gflops"]
                                                 + 3 / m["fused_batched_xla_gflops"])
        head.append(f"float32 fused speed-up if the large products alone decided: {ceiling:.2f}x "
                    "(2 wide and 3 batched-in-XLA products against 5 at the single shape)")
    if "matmul_bf16" not in results:
        head.append("bfloat16: not supported on this CPU (no AVX-512 BF16 or AMX); rows skipped")
    lines = head + lines
    lines.append("s/epoch: one epoch of 60,000 images (dense at batch 128, conv at batch 32, "
                 f"timed on 1/{CONV_FRACTION} and scaled); sweeps: one epoch of all 8 runs "
                 "with validation and checkpoint. % shape: of the matmul rate at the dense "
                 "VAE's shape. speed-up: over "
                 + ", ".join(f"{base} for {name}" for name, base in BASELINES.items()) + ".")
    if "fidelity" in results:
        s = results["fidelity"]["summary"]
        lines.append(f"bfloat16 fidelity ({FIDELITY_EPOCHS}-epoch sweep on "
                     f"{results['fidelity']['data']}): c = 1 test loss "
                     f"{s['c1_test_loss_float32']:.2f} (float32) vs {s['c1_test_loss_bf16']:.2f} "
                     f"(bfloat16), {100 * s['c1_relative_difference']:.2f}% apart; same order "
                     f"across c: reconstruction {s['test_reconstruction_same_order']}, "
                     f"KL {s['test_kl_same_order']}")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=sorted(PARTS))
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results.json"))
    parser.add_argument("--only", nargs="+", choices=sorted(PARTS), metavar="PART",
                        help="measure only these parts and replace them in an existing --out")
    args = parser.parse_args()
    import vae_helpers  # noqa: F401  (first: it keeps TensorFlow's start-up messages quiet)

    if args.part:
        import tensorflow as tf

        tf.get_logger().setLevel("ERROR")  # each sweep run's new model traces once
        print(json.dumps(PARTS[args.part]()))
        return
    import tensorflow as tf

    from vae_helpers.training import device_report

    cpu = cpu_description()
    device = device_report()
    print(device, "|", cpu["model"], cpu["flags"], flush=True)
    results = {}
    if args.only:
        with open(args.out) as handle:
            stored = json.load(handle)
        if stored.get("cpu") != cpu:
            raise SystemExit(f"{args.out} was measured on another CPU ({stored.get('cpu')}); "
                             "measure every part here instead of --only.")
        results = stored["results"]
    names = [name for name in PARTS if not (name in NEEDS_BF16 and not bf16_supported(cpu)
                                            or args.only and name not in args.only)]
    for name in names:
        if name not in SWEEPS:
            print(f"  {name} ...", flush=True)
            results[name] = run_part(name)
    for round_ in range(REPEATS):  # the sweeps alternate, so a slow spell slows them all
        for name in [name for name in names if name in SWEEPS]:
            print(f"  {name} (round {round_ + 1} of {REPEATS}) ...", flush=True)
            result = run_part(name)
            results[name] = sweep_summary(result, results[name]) if round_ else result
    for name in [n for n in ("matmul", "matmul_bf16") if n in results and not args.only]:
        print(f"  {name} again ...", flush=True)  # noise only slows: keep each rate's best
        again = run_part(name)
        results[name].update({key: max(value, results[name][key]) for key, value in again.items()
                              if key.endswith("gflops")})
    results = {name: results[name] for name in PARTS if name in results}
    if "fidelity" in results:
        results["fidelity"]["summary"] = fidelity_summary(results["fidelity"])
    table = report(results, cpu)
    print(table)
    build = tf.sysconfig.get_build_info()
    payload = {"device": device, "cpu": cpu, "cpu_count": os.cpu_count(),
               "tensorflow": {"version": tf.__version__,
                              "build": {k: str(v) for k, v in build.items()},
                              "onednn": os.environ.get("TF_ENABLE_ONEDNN_OPTS", "1") != "0"},
               "images": "60,000 random, MNIST shape", "results": results, "table": table}
    with open(args.out, "w") as handle:
        json.dump(payload, handle, indent=1)
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
