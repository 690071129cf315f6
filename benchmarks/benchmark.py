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
SWEEP_EPOCHS = 4           # the sweep is timed for 4 of its 40 epochs, then scaled
SWEEP = dict(coefficients=(0, 0.02, 0.1, 0.5, 1, 2, 10, 20), epochs=40, batch_size=128)


def _images(shape):
    import numpy as np

    return np.random.default_rng(0).random((N_IMAGES, *shape), dtype=np.float32)


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


def _model(kind, style):
    import keras

    from vae_helpers import models, training

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


def part_matmul():
    import numpy as np
    import tensorflow as tf

    def rate(m, k, n, reps):
        a, b = tf.random.normal((m, k)), tf.random.normal((k, n))
        f = tf.function(lambda a, b: tf.matmul(a, b))
        f(a, b).numpy()
        best = np.inf
        for _ in range(5):
            start = time.perf_counter()
            for _ in range(reps):
                out = f(a, b)
            out.numpy()
            best = min(best, (time.perf_counter() - start) / reps)
        return 2 * m * k * n / best / 1e9

    return {"peak_gflops": rate(2048, 2048, 2048, 5),
            "dense_shape_gflops": rate(128, 784, 512, 200)}


def part_epoch(kind, style):
    """Median seconds of a 60,000-image epoch (conv: timed on a fifth, scaled)."""
    import numpy as np

    batch = 128 if kind == "dense" else 32
    shape = (784,) if kind == "dense" else (28, 28, 1)
    x = _images(shape)
    n = len(x) if kind == "dense" else len(x) // CONV_FRACTION
    model, (encoder, decoder) = _model(kind, style)
    _fit(model, x[:20 * batch], batch, style)  # trace and compile
    times = []
    for _ in range(3 if kind == "dense" else 2):
        start = time.perf_counter()
        _fit(model, x[:n], batch, style)
        times.append((time.perf_counter() - start) * len(x) / n)
    return {"seconds": float(np.median(times)), "all_seconds": times,
            "flops": training_flops(encoder, decoder) * len(x), "batch_size": batch}


def part_sweep(fused):
    import tempfile

    from vae_helpers import experiments
    from vae_helpers.data import MNIST

    x = _images((784,))
    data = MNIST(x, None, x[:10_000], None, "random")
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        experiments.kl_sweep(data, folder, coefficients=SWEEP["coefficients"],
                             epochs=SWEEP_EPOCHS, batch_size=SWEEP["batch_size"],
                             progress=False, fused=fused)
        seconds = time.perf_counter() - start
    model, (encoder, decoder) = _model("dense", "project")
    runs = len(SWEEP["coefficients"])
    return {"seconds": seconds * SWEEP["epochs"] / SWEEP_EPOCHS,
            "measured_seconds": seconds, "measured_epochs": SWEEP_EPOCHS,
            "flops": training_flops(encoder, decoder) * len(x) * runs * SWEEP["epochs"]}


PARTS = {
    "matmul": part_matmul,
    "dense_baseline": lambda: part_epoch("dense", "baseline"),
    "dense_project": lambda: part_epoch("dense", "project"),
    "conv_baseline": lambda: part_epoch("conv", "baseline"),
    "conv_project": lambda: part_epoch("conv", "project"),
    "sweep_sequential": lambda: part_sweep(fused=False),
    "sweep_fused": lambda: part_sweep(fused=True),
}


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


def report(results):
    peak = results["matmul"]["peak_gflops"]
    rows = [("part", "seconds", "GFLOP/s", "% peak", "vs baseline", "peak RSS GB")]
    pairs = {"dense_project": "dense_baseline", "conv_project": "conv_baseline",
             "sweep_fused": "sweep_sequential"}
    for name, r in results.items():
        if name == "matmul":
            continue
        gflops = r["flops"] / r["seconds"] / 1e9
        base = pairs.get(name)
        ratio = f"{results[base]['seconds'] / r['seconds']:.2f}x" if base else ""
        rows.append((name, f"{r['seconds']:.1f}", f"{gflops:.0f}", f"{100 * gflops / peak:.0f}",
                     ratio, f"{r['peak_rss_gb']:.2f}"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.rjust(w) if i else cell.ljust(w)
                       for i, (cell, w) in enumerate(zip(row, widths))) for row in rows]
    m = results["matmul"]
    lines.insert(0, f"float32 matmul: {peak:.0f} GFLOP/s peak (2048^3), "
                    f"{m['dense_shape_gflops']:.0f} at the dense VAE's shape (128x784 @ 784x512)")
    lines.append("seconds: one epoch of 60,000 images (dense at batch 128, conv at batch 32, "
                 f"timed on 1/{CONV_FRACTION} and scaled); sweeps: 8 runs x 40 epochs, timed "
                 f"for {SWEEP_EPOCHS} epochs and scaled. 'vs baseline': speed-up over the "
                 "line above it.")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=sorted(PARTS))
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results.json"))
    args = parser.parse_args()
    if args.part:
        import tensorflow as tf

        tf.get_logger().setLevel("ERROR")  # each sweep run's new model traces once
        print(json.dumps(PARTS[args.part]()))
        return
    from vae_helpers.training import device_report

    device = device_report()
    print(device, flush=True)
    results = {}
    for name in PARTS:
        print(f"  {name} ...", flush=True)
        results[name] = run_part(name)
    table = report(results)
    print(table)
    payload = {"device": device, "machine": platform.processor() or platform.machine(),
               "cpu_count": os.cpu_count(), "images": "60,000 random, MNIST shape",
               "results": results, "table": table}
    with open(args.out, "w") as handle:
        json.dump(payload, handle, indent=1)
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
