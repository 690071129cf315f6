"""Several dense VAEs trained as one model: every weight carries a leading run axis.

Run ``r`` of a ``FusedDenseVAE`` is the dense VAE of ``models.dense_vae`` with
its own weights and its own KL weight ``beta[r]``. The training loss is the
sum of the runs' losses, so each run's gradient (and each Adam update, which
is elementwise) is exactly that of training it alone; all runs see the same
batches and the same noise, as separate trainings with the same seed do.
What they share is each step's overhead, and the first layer: every run sees
the same images, so the first layer of all runs is one wide matrix product
(batch x input_dim @ input_dim x runs*units), and so is its weight gradient.
"""

import keras
import numpy as np
from keras import ops

from . import losses, models
from .validation import (check_beta, check_choice, check_number, check_seed, check_size,
                         check_sizes)

def _hidden_layers(part):
    """The hidden Dense layers of a dense encoder or decoder, input to output."""
    heads = ("z_mean", "z_log_var", "x_hat")
    return [layer for layer in part.layers
            if isinstance(layer, keras.layers.Dense) and layer.name not in heads]


class FusedDenseVAE(keras.Model):
    """``len(betas)`` dense VAEs (``input_dim``-``hidden_units``-``latent_dim``) in one model.

    Calling it on images of shape ``(batch, input_dim)`` returns a dict of
    ``(runs, batch, ...)`` arrays. ``fit`` logs ``loss_r``, ``reconstruction_r``
    and ``kl_r`` for each run ``r``; ``vae_of_run(r)`` gives run ``r`` as a ``VAE``.
    """

    def __init__(self, betas, input_dim=784, hidden_units=512, latent_dim=2,
                 reconstruction="bernoulli", seed=None, free_bits=None, **kwargs):
        super().__init__(**kwargs)
        betas = [check_beta(b) for b in np.ravel(betas)]
        if not betas:
            raise ValueError("betas is empty; pass one KL weight per run.")
        self.runs = len(betas)
        # each run's free-bits floor (nats per dimension; 0: the plain KL), fixed for training
        self.free_bits = [check_number("free_bits", f) for f in
                          (np.zeros(self.runs) if free_bits is None else np.ravel(free_bits))]
        if len(self.free_bits) != self.runs:
            raise ValueError(f"got {len(self.free_bits)} free-bits floors for {self.runs} runs; "
                             "pass one per run.")
        self.input_dim = check_size("input_dim", input_dim)
        self.hidden_units = check_sizes("hidden_units", hidden_units)
        self.latent_dim = check_size("latent_dim", latent_dim)
        self.reconstruction = check_choice("reconstruction", reconstruction,
                                           losses.RECONSTRUCTIONS)
        hidden = self.hidden_units
        # the first kernel is (input_dim, runs, units), the others (runs, n_in, n_out)
        self.encoder_layers = [self._dense("encoder_0", self.input_dim, hidden[0], shared=True),
                               *self._stack("encoder", hidden, first=1)]
        self.z_mean_layer = self._dense("z_mean", hidden[-1], self.latent_dim)
        self.z_log_var_layer = self._dense("z_log_var", hidden[-1], self.latent_dim)
        self.decoder_layers = self._stack("decoder", (self.latent_dim, *hidden[::-1]))
        self.output_layer = self._dense("x_hat", hidden[0], self.input_dim)
        self.beta = self.add_weight(name="beta", shape=(self.runs,), trainable=False,
                                    initializer=keras.initializers.Constant(betas))
        self.seed_generator = keras.random.SeedGenerator(check_seed(seed, allow_none=True))
        self.run_trackers = [[keras.metrics.Mean(name=f"{term}_{r}") for r in range(self.runs)]
                             for term in ("loss", "reconstruction", "kl")]
        self.built = True

    def _dense(self, name, n_in, n_out, shared=False):
        shape = (n_in, self.runs, n_out) if shared else (self.runs, n_in, n_out)
        kernel = self.add_weight(name=f"{name}_kernel", shape=shape,
                                 initializer="glorot_uniform")
        bias = self.add_weight(name=f"{name}_bias", shape=(self.runs, n_out), initializer="zeros")
        return kernel, bias

    def _stack(self, name, sizes, first=0):
        return [self._dense(f"{name}_{i}", a, b)
                for i, (a, b) in enumerate(zip(sizes, sizes[1:]), start=first)]

    def _pairs(self):
        """The (kernel, bias) pairs in the order of ``models.dense_vae``'s Dense layers."""
        return [*self.encoder_layers, self.z_mean_layer, self.z_log_var_layer,
                *self.decoder_layers, self.output_layer]

    def _run_axis(self, weight):
        """The run axis of ``weight``: 1 for the first kernel, 0 for the others."""
        return 1 if weight is self.encoder_layers[0][0] else 0

    @staticmethod
    def _apply(h, layer):
        kernel, bias = layer
        if len(h.shape) == 2:  # the images, shared by every run: one wide product
            n_in, runs, n_out = kernel.shape
            out = ops.reshape(ops.matmul(h, ops.reshape(kernel, (n_in, runs * n_out))),
                              (-1, runs, n_out)) + bias
            return ops.transpose(out, (1, 0, 2))
        return ops.matmul(h, kernel) + bias[:, None, :]

    def forward(self, x, eps):
        """The runs' outputs for images ``x`` (batch, input_dim) and noise ``eps``
        (batch, latent_dim), shared by every run."""
        h = x
        for layer in self.encoder_layers:
            h = ops.relu(self._apply(h, layer))
        z_mean = self._apply(h, self.z_mean_layer)
        limit = models.LOG_VAR_LIMIT
        z_log_var = ops.clip(self._apply(h, self.z_log_var_layer), -limit, limit)
        z = z_mean + ops.exp(0.5 * z_log_var) * eps[None]
        h = z
        for layer in self.decoder_layers:
            h = ops.relu(self._apply(h, layer))
        x_hat = ops.sigmoid(self._apply(h, self.output_layer))
        return {"z_mean": z_mean, "z_log_var": z_log_var, "z": z, "x_hat": x_hat}

    def call(self, x, training=False):
        eps = keras.random.normal((ops.shape(x)[0], self.latent_dim), dtype=x.dtype,
                                  seed=self.seed_generator)
        return self.forward(x, eps)

    def loss_terms(self, x, outputs):
        """``(total, terms)``: the sum of the runs' losses, and each run's
        ``(loss, reconstruction, kl)`` from ``losses.vae_loss`` (nats per example)."""
        terms = [losses.vae_loss(x, outputs["x_hat"][r], outputs["z_mean"][r],
                                 outputs["z_log_var"][r], self.beta[r], self.reconstruction,
                                 self.free_bits[r])
                 for r in range(self.runs)]
        return ops.sum(ops.stack([t[0] for t in terms])), terms

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        total, terms = self.loss_terms(x, y_pred)
        batch = ops.shape(x)[0]
        for r, run_terms in enumerate(terms):
            for trackers, value in zip(self.run_trackers, run_terms):
                trackers[r].update_state(value, sample_weight=batch)
        return total

    def set_betas(self, betas):
        """Set every run's KL weight (finite numbers >= 0, one per run)."""
        betas = [check_beta(b) for b in np.ravel(betas)]
        if len(betas) != self.runs:
            raise ValueError(f"got {len(betas)} betas for {self.runs} runs; pass one per run.")
        self.beta.assign(np.asarray(betas, dtype="float32"))

    def _vae_layers(self, vae):
        dense = [*_hidden_layers(vae.encoder), vae.encoder.get_layer("z_mean"),
                 vae.encoder.get_layer("z_log_var"), *_hidden_layers(vae.decoder),
                 vae.decoder.get_layer("x_hat")]
        if [tuple(layer.kernel.shape) for layer in dense] != \
                [tuple(np.delete(k.shape, self._run_axis(k))) for k, _ in self._pairs()]:
            raise ValueError("the VAE's layer sizes differ from this fused model's; build it "
                             "with models.dense_vae and the same sizes.")
        return dense

    def _run(self, run):
        return check_size("run", run, low=0, high=self.runs - 1)

    def set_run_weights(self, run, vae):
        """Copy the weights of ``vae`` (a ``models.dense_vae``) into run ``run``."""
        run = self._run(run)
        for layer, (kernel, bias) in zip(self._vae_layers(vae), self._pairs()):
            for fused, value in ((kernel, layer.kernel), (bias, layer.bias)):
                stacked = ops.convert_to_numpy(fused)
                np.moveaxis(stacked, self._run_axis(fused), 0)[run] = ops.convert_to_numpy(value)
                fused.assign(stacked)

    def vae_of_run(self, run):
        """Run ``run`` as a ``models.dense_vae`` with its weights, beta and free bits."""
        run = self._run(run)
        vae = models.dense_vae(self.latent_dim, list(self.hidden_units), self.input_dim,
                               beta=float(ops.convert_to_numpy(self.beta)[run]),
                               reconstruction=self.reconstruction,
                               free_bits=self.free_bits[run])
        for layer, (kernel, bias) in zip(self._vae_layers(vae), self._pairs()):
            layer.kernel.assign(np.take(ops.convert_to_numpy(kernel), run, self._run_axis(kernel)))
            layer.bias.assign(ops.convert_to_numpy(bias)[run])
        return vae

    @classmethod
    def from_vae(cls, vae, betas, seed=None, free_bits=None):
        """A fused model whose every run starts from the weights of ``vae``, computing
        in its precision (dtype policy)."""
        fused = cls(betas, input_dim=vae.encoder.inputs[0].shape[-1],
                    hidden_units=[layer.units for layer in _hidden_layers(vae.encoder)],
                    latent_dim=vae.decoder.inputs[0].shape[-1],
                    reconstruction=vae.reconstruction, seed=seed, free_bits=free_bits,
                    dtype=vae.encoder.layers[1].dtype_policy)
        for run in range(fused.runs):
            fused.set_run_weights(run, vae)
        return fused

    @staticmethod
    def history_of_run(history, run):
        """The per-epoch ``loss``/``reconstruction``/``kl`` (and ``val_``) and ``beta``
        of one run, from a fused ``History.history`` dict."""
        suffix = f"_{run}"
        return {key[:-len(suffix)]: list(values) for key, values in history.items()
                if key.endswith(suffix) and key[:-len(suffix)] in _RUN_KEYS}


_RUN_KEYS = {f"{prefix}{term}" for prefix in ("", "val_")
             for term in ("loss", "reconstruction", "kl")} | {"beta"}


class RunSchedules(keras.callbacks.Callback):
    """Set each run's beta from its own schedule before each epoch; log ``beta_r``."""

    def __init__(self, schedules):
        super().__init__()
        self.schedules = list(schedules)

    def on_epoch_begin(self, epoch, logs=None):
        self.model.set_betas([schedule(epoch) for schedule in self.schedules])

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            for r, beta in enumerate(ops.convert_to_numpy(self.model.beta)):
                logs[f"beta_{r}"] = float(beta)
