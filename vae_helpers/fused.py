"""Several dense VAEs trained as one model: every weight carries a leading run axis.

Run ``r`` of a ``FusedDenseVAE`` is the dense VAE of ``models.dense_vae`` with
its own weights and its own KL weight ``beta[r]``. The training loss is the
sum of the runs' losses, so each run's gradient (and each Adam update, which
is elementwise) is exactly that of training it alone; all runs see the same
batches and the same noise, as separate trainings with the same seed do.
What they share is each step's overhead, which makes a sweep faster.
"""

import keras
import numpy as np
from keras import ops

from . import losses, models

def _hidden_layers(part):
    """The hidden Dense layers of a dense encoder or decoder, input to output."""
    heads = ("z_mean", "z_log_var", "x_hat")
    return [layer for layer in part.layers
            if isinstance(layer, keras.layers.Dense) and layer.name not in heads]


class FusedDenseVAE(models.FastFitMixin, keras.Model):
    """``len(betas)`` dense VAEs (``input_dim``-``hidden_units``-``latent_dim``) in one model.

    Calling it on images of shape ``(batch, input_dim)`` returns a dict of
    ``(runs, batch, ...)`` arrays. ``fit`` logs ``reconstruction_r`` and
    ``kl_r`` for each run ``r``; ``run_vae(r)`` gives run ``r`` as a ``VAE``.
    """

    def __init__(self, betas, input_dim=784, hidden_units=512, latent_dim=2,
                 reconstruction="bernoulli", seed=None, **kwargs):
        super().__init__(**kwargs)
        betas = [models.check_beta(b) for b in np.ravel(betas)]
        if not betas:
            raise ValueError("betas is empty; pass one KL weight per run.")
        self.runs = len(betas)
        self.input_dim = models.check_size("input_dim", input_dim)
        self.hidden_units = models._units("hidden_units", hidden_units)
        self.latent_dim = models.check_size("latent_dim", latent_dim)
        if reconstruction not in losses.RECONSTRUCTIONS:
            raise ValueError(f"reconstruction must be one of {losses.RECONSTRUCTIONS}, "
                             f"got {reconstruction!r}.")
        self.reconstruction = reconstruction
        hidden = self.hidden_units
        self.encoder_layers = self._stack("encoder", (self.input_dim, *hidden))
        self.z_mean_layer = self._dense("z_mean", hidden[-1], self.latent_dim)
        self.z_log_var_layer = self._dense("z_log_var", hidden[-1], self.latent_dim)
        self.decoder_layers = self._stack("decoder", (self.latent_dim, *hidden[::-1]))
        self.output_layer = self._dense("x_hat", hidden[0], self.input_dim)
        self.beta = self.add_weight(name="beta", shape=(self.runs,), trainable=False,
                                    initializer=keras.initializers.Constant(betas))
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.reconstruction_trackers = [keras.metrics.Mean(name=f"reconstruction_{r}")
                                        for r in range(self.runs)]
        self.kl_trackers = [keras.metrics.Mean(name=f"kl_{r}") for r in range(self.runs)]
        self.built = True

    def _dense(self, name, n_in, n_out):
        kernel = self.add_weight(name=f"{name}_kernel", shape=(self.runs, n_in, n_out),
                                 initializer="glorot_uniform")
        bias = self.add_weight(name=f"{name}_bias", shape=(self.runs, n_out), initializer="zeros")
        return kernel, bias

    def _stack(self, name, sizes):
        return [self._dense(f"{name}_{i}", a, b) for i, (a, b) in enumerate(zip(sizes, sizes[1:]))]

    def _pairs(self):
        """The (kernel, bias) pairs in the order of ``models.dense_vae``'s Dense layers."""
        return [*self.encoder_layers, self.z_mean_layer, self.z_log_var_layer,
                *self.decoder_layers, self.output_layer]

    @staticmethod
    def _apply(h, layer):
        kernel, bias = layer
        if len(h.shape) == 2:  # the images: one batch shared by every run
            out = ops.einsum("bi,rio->rbo", h, kernel)
        else:
            out = ops.matmul(h, kernel)
        return out + bias[:, None, :]

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
        eps = keras.random.normal((ops.shape(x)[0], self.latent_dim), seed=self.seed_generator)
        return self.forward(x, eps)

    def loss_terms(self, x, outputs):
        """``(total, reconstruction, kl)``: the summed loss and each run's terms
        (nats per example, shape ``(runs,)``)."""
        batch = ops.cast(ops.shape(x)[0], outputs["x_hat"].dtype)
        x = ops.broadcast_to(x[None], ops.shape(outputs["x_hat"]))
        recon = losses.reconstruction_loss(x, outputs["x_hat"], self.reconstruction) / batch
        kl = losses.kl_standard_normal(outputs["z_mean"], outputs["z_log_var"]) / batch
        return ops.sum(recon + self.beta * kl), recon, kl

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        total, recon, kl = self.loss_terms(x, y_pred)
        batch = ops.cast(ops.shape(x)[0], "float32")
        for r in range(self.runs):
            self.reconstruction_trackers[r].update_state(recon[r], sample_weight=batch)
            self.kl_trackers[r].update_state(kl[r], sample_weight=batch)
        return total

    @property
    def input_shape_per_example(self):
        return (self.input_dim,)

    def set_betas(self, betas):
        """Set every run's KL weight (finite numbers >= 0, one per run)."""
        betas = [models.check_beta(b) for b in np.ravel(betas)]
        if len(betas) != self.runs:
            raise ValueError(f"got {len(betas)} betas for {self.runs} runs; pass one per run.")
        self.beta.assign(np.asarray(betas, dtype="float32"))

    def _vae_layers(self, vae):
        dense = [*_hidden_layers(vae.encoder), vae.encoder.get_layer("z_mean"),
                 vae.encoder.get_layer("z_log_var"), *_hidden_layers(vae.decoder),
                 vae.decoder.get_layer("x_hat")]
        if [tuple(layer.kernel.shape) for layer in dense] != \
                [tuple(k.shape[1:]) for k, _ in self._pairs()]:
            raise ValueError("the VAE's layer sizes differ from this fused model's; build it "
                             "with models.dense_vae and the same sizes.")
        return dense

    def set_run_weights(self, run, vae):
        """Copy the weights of ``vae`` (a ``models.dense_vae``) into run ``run``."""
        for layer, (kernel, bias) in zip(self._vae_layers(vae), self._pairs()):
            for fused, value in ((kernel, layer.kernel), (bias, layer.bias)):
                stacked = ops.convert_to_numpy(fused)
                stacked[run] = ops.convert_to_numpy(value)
                fused.assign(stacked)

    def run_vae(self, run):
        """Run ``run`` as a ``models.dense_vae`` with its weights and beta."""
        vae = models.dense_vae(self.latent_dim, list(self.hidden_units), self.input_dim,
                               beta=float(ops.convert_to_numpy(self.beta)[run]),
                               reconstruction=self.reconstruction)
        for layer, (kernel, bias) in zip(self._vae_layers(vae), self._pairs()):
            layer.kernel.assign(ops.convert_to_numpy(kernel)[run])
            layer.bias.assign(ops.convert_to_numpy(bias)[run])
        return vae

    @classmethod
    def from_vae(cls, vae, betas, seed=None):
        """A fused model whose every run starts from the weights of ``vae``."""
        fused = cls(betas, input_dim=vae.input_shape_per_example[0],
                    hidden_units=[layer.units for layer in _hidden_layers(vae.encoder)],
                    latent_dim=vae.decoder.inputs[0].shape[-1],
                    reconstruction=vae.reconstruction, seed=seed)
        for run in range(fused.runs):
            fused.set_run_weights(run, vae)
        return fused

    def run_history(self, history, run):
        """The per-epoch ``loss``/``reconstruction``/``kl`` (and ``val_``) of one run,
        from a fused ``History.history`` dict."""
        out = {}
        beta = np.asarray(history.get(f"beta_{run}", []), dtype="float64")
        for prefix in ("", "val_"):
            recon, kl = (history.get(f"{prefix}{term}_{run}") for term in ("reconstruction", "kl"))
            if recon is None:
                continue
            out[f"{prefix}reconstruction"], out[f"{prefix}kl"] = list(recon), list(kl)
            if len(beta) == len(recon):
                out[f"{prefix}loss"] = list(np.asarray(recon) + beta * np.asarray(kl))
        if len(beta):
            out["beta"] = beta.tolist()
        return out

    def run_test(self, logs, run):
        """``loss``/``reconstruction``/``kl`` of one run from a fused ``evaluate``
        result (``return_dict=True``), with the run's current beta."""
        beta = float(ops.convert_to_numpy(self.beta)[run])
        recon, kl = logs[f"reconstruction_{run}"], logs[f"kl_{run}"]
        return {"loss": recon + beta * kl, "reconstruction": recon, "kl": kl}


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
