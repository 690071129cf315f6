"""KL-weight schedules beta(t) and a callback that applies one to ``model.beta``.

A schedule is a callable ``schedule(t) -> beta`` where ``t`` counts epochs or
training steps from 0 (whichever unit the callback uses).
"""

import math

import keras
import numpy as np

from .validation import check_beta, check_callable, check_choice, check_number, check_size

CYCLE_SHAPES = ("linear", "sigmoid", "cosine")


def _logistic(a):
    """1 / (1 + exp(-a)), written with tanh so that no argument overflows."""
    return 0.5 * (1.0 + math.tanh(0.5 * a))


def schedule_values(schedule, n):
    """beta at t = 0, 1, ..., n - 1 of any schedule (a callable), as a numpy array."""
    check_callable("schedule", schedule, "LinearWarmup()", n_args=1)
    return np.array([check_beta(schedule(t), name=f"schedule({t})")
                     for t in range(check_size("n", n))], dtype="float64")


class Schedule:
    """Base class: subclasses define ``__call__`` and a short ``__repr__``."""

    def values(self, n):
        """beta at t = 0, 1, ..., n - 1, as a numpy array."""
        return schedule_values(self, n)


class Constant(Schedule):
    """beta(t) = beta."""

    def __init__(self, beta=1.0):
        self.beta = check_beta(beta)

    def __call__(self, t):
        return self.beta

    def __repr__(self):
        return f"constant(beta={self.beta:g})"


class LinearWarmup(Schedule):
    """Reconstruction only for ``start`` steps, then a linear ramp to ``beta_max``.

    beta(t) = beta_max * clip((t - start) / duration, 0, 1): 0 up to t = start,
    beta_max from t = start + duration on (the scheme of the annealing post).
    """

    def __init__(self, start=10, duration=10, beta_max=1.0):
        self.start = check_number("start", start)
        self.duration = check_number("duration", duration, low=0.0, low_inclusive=False)
        self.beta_max = check_beta(beta_max)

    def __call__(self, t):
        return self.beta_max * min(max((t - self.start) / self.duration, 0.0), 1.0)

    def __repr__(self):
        return f"linear warm-up(start={self.start:g}, duration={self.duration:g})"


class Cyclical(Schedule):
    """Cyclical annealing (Fu et al., 2019): ``n_cycles`` ramps over ``total`` steps.

    Each cycle of length total / n_cycles ramps beta from 0 to ``beta_max``
    during its first ``ratio`` fraction (shape linear, sigmoid or cosine) and
    holds ``beta_max`` for the rest.
    """

    def __init__(self, total, n_cycles=4, ratio=0.5, shape="linear", beta_max=1.0):
        self.total = check_number("total", total, low=0.0, low_inclusive=False)
        self.n_cycles = check_size("n_cycles", n_cycles)
        self.ratio = check_number("ratio", ratio, low=0.0, low_inclusive=False, high=1.0)
        self.shape = check_choice("shape", shape, CYCLE_SHAPES)
        self.beta_max = check_beta(beta_max)

    def __call__(self, t):
        period = self.total / self.n_cycles
        tau = (t % period) / period          # position in the cycle, in [0, 1)
        if tau >= self.ratio:
            return self.beta_max
        x = tau / self.ratio                 # position in the ramp, in [0, 1)
        if self.shape == "sigmoid":
            ramp = _logistic(12.0 * (x - 0.5))
        elif self.shape == "cosine":
            ramp = 0.5 * (1.0 - math.cos(math.pi * x))
        else:
            ramp = x
        return self.beta_max * ramp

    def __repr__(self):
        return f"cyclical(n_cycles={self.n_cycles}, ratio={self.ratio:g}, {self.shape})"


class Sigmoid(Schedule):
    """Logistic annealing (Bowman et al., 2016): beta_max / (1 + exp(-k (t - midpoint)))."""

    def __init__(self, midpoint=10, steepness=0.5, beta_max=1.0):
        self.midpoint = check_number("midpoint", midpoint)
        self.steepness = check_number("steepness", steepness, low=0.0, low_inclusive=False)
        self.beta_max = check_beta(beta_max)

    def __call__(self, t):
        return self.beta_max * _logistic(self.steepness * (t - self.midpoint))

    def __repr__(self):
        return f"sigmoid(midpoint={self.midpoint:g}, steepness={self.steepness:g})"


class FreeBits(Schedule):
    """A schedule trained with free bits (Kingma et al. 2016): beta per epoch from
    ``schedule`` (default a constant 1), and the KL of each dimension counted as at least
    ``floor`` nats (``losses.free_bits_kl``)."""

    def __init__(self, floor=0.25, schedule=None):
        self.free_bits = check_number("floor", floor, low_inclusive=False)
        self.schedule = Constant(1.0) if schedule is None else check_callable(
            "schedule", schedule, "Constant(1.0)", n_args=1)

    def __call__(self, t):
        return self.schedule(t)

    def __repr__(self):
        return f"FreeBits(floor={self.free_bits:g}, schedule={self.schedule!r})"


def free_bits_of(schedule):
    """The free-bits floor a schedule trains with (0 for a plain schedule)."""
    return float(getattr(schedule, "free_bits", 0.0))


class KLScheduler(keras.callbacks.Callback):
    """Set ``model.beta`` from a schedule before each epoch (``per="epoch"``) or
    each training step (``per="step"``), and log the epoch's last value as
    ``beta`` in the history.

    Per-step updates need the model compiled with ``steps_per_execution=1``:
    with more steps per call, Keras calls batch callbacks once per call.
    """

    def __init__(self, schedule, per="epoch"):
        super().__init__()
        self.schedule = check_callable("schedule", schedule, "LinearWarmup()", n_args=1)
        self.per = check_choice("per", per, ("epoch", "step"))
        self.step = 0

    def _set(self, t):
        self.model.beta.assign(check_beta(self.schedule(t), name=f"schedule({t})"))

    def on_train_begin(self, logs=None):
        steps = getattr(self.model, "steps_per_execution", 1)
        if self.per == "step" and steps != 1:
            raise ValueError(f"a per-step KL schedule needs one step per call, but the model "
                             f"was compiled with steps_per_execution={steps}; compile it with "
                             "steps_per_execution=1, or use per='epoch'.")

    def on_epoch_begin(self, epoch, logs=None):
        if self.per == "epoch":
            self._set(epoch)

    def on_train_batch_begin(self, batch, logs=None):
        if self.per == "step":
            self._set(self.step)
            self.step += 1

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["beta"] = float(keras.ops.convert_to_numpy(self.model.beta))
