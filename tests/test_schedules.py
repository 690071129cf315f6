import math

import keras
import numpy as np
import pytest

from vae_helpers import models
from vae_helpers.schedules import (Constant, Cyclical, FreeBits, KLScheduler, LinearWarmup, Sigmoid,
                                   free_bits_of)


def test_constant():
    assert Constant(0.3)(0) == Constant(0.3)(1000) == 0.3


def test_linear_warmup_follows_its_formula():
    s = LinearWarmup(start=10, duration=20, beta_max=2.0)
    assert [s(t) for t in (0, 9, 10, 15, 20, 30, 100)] == [0, 0, 0, 0.5, 1.0, 2.0, 2.0]


@pytest.mark.parametrize("shape, mid", [("linear", 0.5), ("cosine", 0.5), ("sigmoid", 0.5)])
def test_cyclical_follows_fu_et_al(shape, mid):
    s = Cyclical(total=40, n_cycles=4, ratio=0.5, shape=shape)   # period 10, ramp over 5
    for cycle in range(4):
        start = 10 * cycle
        assert s(start) == pytest.approx(0.0, abs=0.01)           # each cycle restarts at 0
        assert s(start + 2.5) == pytest.approx(mid, abs=1e-9)       # half-way up the ramp
        assert s(start + 5) == s(start + 9) == 1.0                  # held at beta_max
    assert Cyclical(total=40, n_cycles=4, ratio=0.5)(1) == pytest.approx(0.2)
    cosine = Cyclical(total=40, n_cycles=4, ratio=0.5, shape="cosine")
    assert cosine(1) == pytest.approx(0.5 * (1 - math.cos(math.pi * 0.2)))


def test_cyclical_cycles_of_a_length_that_is_not_a_whole_number_of_epochs():
    s = Cyclical(total=10, n_cycles=3, ratio=0.5)     # period 10/3, ramp over 5/3 epochs
    period = 10 / 3
    for t in np.arange(0, 10, 0.25):
        position = (t - period * math.floor(t / period)) / period
        assert s(t) == pytest.approx(min(position / 0.5, 1.0), abs=1e-12), t
    assert s(10 / 3) == pytest.approx(0.0, abs=1e-12) and s(4) == pytest.approx(0.4)   # cycle 2


def test_cyclical_scales_its_ramp_to_beta_max_and_ends_it_at_ratio():
    # Fu et al. (2019)'s sigmoid ramp is the logistic over [-6, 6] of the ramp's length
    s = Cyclical(total=20, n_cycles=2, ratio=0.25, shape="sigmoid", beta_max=2.0)  # ramp over 2.5
    for t, x in ((0.0, 0.0), (1.0, 0.4), (2.0, 0.8), (11.25, 0.5)):
        assert s(t) == pytest.approx(2.0 / (1.0 + math.exp(-(12.0 * x - 6.0))), rel=1e-12), t
    assert s(2.5) == s(9.9) == s(12.5) == 2.0
    linear = Cyclical(total=20, n_cycles=2, ratio=0.25, beta_max=2.0)
    assert [linear(t) for t in (0.5, 2.0, 10.5)] == pytest.approx([0.4, 1.6, 0.4])


def test_the_default_warm_up_starts_at_epoch_10_and_lasts_10():
    assert [LinearWarmup()(t) for t in (10, 15, 20)] == [0.0, 0.5, 1.0]


def test_the_defaults_are_four_cycles_and_a_slope_of_one_half():
    assert Cyclical(total=40)(10) == 0.0 and Cyclical(total=40)(12.5) == 0.5   # period 10, ramp 5
    assert Sigmoid()(14) == pytest.approx(1 / (1 + math.exp(-2)))                # midpoint 10, k 0.5


def test_sigmoid_follows_bowman_et_al():
    s = Sigmoid(midpoint=10, steepness=0.5, beta_max=1.0)
    assert s(10) == 0.5
    assert s(14) == pytest.approx(1 / (1 + math.exp(-2)))
    assert s(0) < 0.01 and s(30) > 0.99
    assert Sigmoid(midpoint=10, steepness=0.5, beta_max=3.0)(14) == pytest.approx(3 / (1 + math.exp(-2)))


def test_values():
    np.testing.assert_allclose(LinearWarmup(1, 2).values(5), [0, 0, 0.5, 1, 1])


@pytest.mark.parametrize("per", ["epoch", "step"])
def test_callback_sets_beta_and_logs_it(per, mnist_small):
    keras.utils.set_random_seed(0)
    model = models.dense_vae(hidden_units=16)
    model.compile(optimizer="adam")
    x = mnist_small.x_train[:256]     # 4 steps per epoch at batch 64
    history = model.fit(x, epochs=3, batch_size=64, verbose=0,
                        callbacks=[KLScheduler(LinearWarmup(start=0, duration=8), per=per)])
    expected = [0.0, 1 / 8, 2 / 8] if per == "epoch" else [3 / 8, 7 / 8, 1.0]
    np.testing.assert_allclose(history.history["beta"], expected)


def test_free_bits_carries_its_floor_and_follows_its_schedule():
    default = FreeBits()
    assert free_bits_of(default) == 0.25 and [default(t) for t in (0, 50)] == [1.0, 1.0]
    warm = FreeBits(floor=0.5, schedule=LinearWarmup(start=0, duration=4))
    assert free_bits_of(warm) == 0.5 and [warm(t) for t in (0, 2, 4)] == [0.0, 0.5, 1.0]
    assert free_bits_of(LinearWarmup()) == 0.0          # a plain schedule has no floor
    assert repr(warm) == "FreeBits(floor=0.5, schedule=linear warm-up(start=0, duration=4))"
    with pytest.raises(ValueError, match="floor must be a finite number > 0"):
        FreeBits(floor=0)
    with pytest.raises(TypeError, match=r"schedule must be .*Constant\(1\.0\)"):
        FreeBits(schedule=0.5)
    with pytest.raises(TypeError, match="schedule"):
        FreeBits(schedule=lambda: 1.0)                 # a schedule takes t
