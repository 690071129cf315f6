"""Issue 33: the package's conv VAE trains as a plain keras.io-style model with the same layers
(``keras_io_conv_vae``) and its speed settings change nothing, so that whether a run closes a
latent dimension depends on the seed, not on the package (benchmarks/conv_closed_dimension.py
counts it over seeds)."""

import keras
import numpy as np

import keras_io_conv_vae as reference
from vae_helpers import models, training
from vae_helpers.config import set_seed


def _by_name(model):
    """The encoder's and decoder's weights, keyed by the heads' names and otherwise by
    position (the two models name their other layers differently and list the heads in
    another order)."""
    weights = {}
    for part in (model.encoder, model.decoder):
        layers = [layer for layer in part.layers if layer.weights]
        for position, layer in enumerate(layers):
            key = layer.name if layer.name in ("z_mean", "z_log_var") else f"{part.name}/{position}"
            for i, w in enumerate(layer.weights):
                weights[f"{key}/{i}"] = w.numpy()
    return weights


def _images(n, seed=0):
    return np.random.default_rng(seed).random((n, 28, 28, 1)).astype("float32")


def test_the_conv_vae_trains_as_the_plain_keras_io_model_with_the_same_layers():
    set_seed(3)
    package = models.conv_vae(latent_dim=2)
    set_seed(3)
    plain = reference.VAE(reference.encoder(2, seed=None), reference.decoder(2))
    before, plain_before = _by_name(package), _by_name(plain)
    assert before.keys() == plain_before.keys()
    for key in before:   # one seed, the same initial weights
        np.testing.assert_array_equal(before[key], plain_before[key], err_msg=key)
    x = _images(96)
    histories = []
    for model in (package, plain):
        model.compile(optimizer=keras.optimizers.Adam(1e-3))
        set_seed(5)      # the same shuffling; the two sampling layers start from one state
        histories.append(model.fit(x, epochs=2, batch_size=32, shuffle=True, verbose=0).history)
    # the same loss, reductions and optimizer: equal to float rounding after 6 steps
    np.testing.assert_allclose(histories[0]["loss"], histories[1]["loss"], rtol=1e-4)
    np.testing.assert_allclose(histories[0]["kl"], histories[1]["kl"], rtol=1e-3)
    after, plain_after = _by_name(package), _by_name(plain)
    for key in after:
        moved = np.abs(after[key] - before[key]).max()
        assert np.abs(after[key] - plain_after[key]).max() <= 1e-2 * moved + 1e-7, key


def test_steps_per_execution_and_the_tf_data_pipeline_change_no_weight():
    x = _images(40 * 4)   # 40 batches of 4: a full call of 32 steps and a short one of 8
    weights = []
    for steps in (1, training.STEPS_PER_EXECUTION):
        set_seed(0)
        model = models.dense_vae(latent_dim=2, hidden_units=16)
        model.compile(optimizer=keras.optimizers.Adam(1e-3), steps_per_execution=steps)
        model.fit(training.array_dataset(x.reshape(len(x), -1), 4), epochs=2, shuffle=False,
                  verbose=0)
        weights.append([w.numpy() for w in model.weights])
    for a, b in zip(*weights):
        np.testing.assert_array_equal(a, b)
