import keras
import numpy as np
import pytest

from vae_helpers import losses, models, training


def test_array_dataset_gives_every_image_once_per_epoch_in_a_new_order():
    x = np.arange(10, dtype="float32")[:, None] * np.ones((1, 3), "float32")
    dataset = training.array_dataset(x, batch_size=4, shuffle=True, unit_range=False)
    epochs = [np.concatenate([b.numpy() for b in dataset]) for _ in range(2)]
    assert [len(b) for b in dataset] == [4, 4, 2]   # the last batch is kept
    for epoch in epochs:
        assert sorted(epoch[:, 0]) == list(range(10))
    assert not np.array_equal(epochs[0], epochs[1])   # reshuffled each epoch
    ordered = np.concatenate([b.numpy() for b in training.array_dataset(x, 4, shuffle=False,
                                                                           unit_range=False)])
    np.testing.assert_array_equal(ordered, x)


def test_compile_settings_use_xla_for_dense_models_only():
    assert training.compile_settings(models.dense_vae(hidden_units=8)) == {
        "steps_per_execution": 32, "jit_compile": True}
    assert training.compile_settings(models.conv_vae())["jit_compile"] == "auto"


def test_per_step_schedule_sees_every_step_with_one_step_per_call(unit_images):
    from vae_helpers.schedules import KLScheduler

    model = models.dense_vae(hidden_units=8)
    model.compile(optimizer="adam", steps_per_execution=1)
    seen = []
    model.fit(training.array_dataset(unit_images, 2), epochs=1, verbose=0, shuffle=False,
              callbacks=[KLScheduler(lambda t: seen.append(t) or 1.0, per="step")])
    assert seen == [0, 1, 2, 3]


def test_device_report_is_one_line_naming_backend_and_device():
    line = training.device_report()
    assert "\n" not in line and line.startswith("tensorflow ")
    assert " on CPU " in line or " on GPU: " in line


def test_precision_builds_models_under_the_policy_and_restores_the_global_one(unit_images):
    with training.precision("mixed_bfloat16"):
        model = models.dense_vae(hidden_units=16)
    assert keras.config.dtype_policy().name == "float32"
    assert model.encoder.layers[1].compute_dtype == "bfloat16"
    assert model.encoder.layers[1].kernel.dtype == "float32"   # weights stay float32
    out = model(unit_images)
    assert keras.backend.standardize_dtype(out["x_hat"].dtype) == "bfloat16"
    total, recon, kl = losses.vae_loss(unit_images, out["x_hat"], out["z_mean"], out["z_log_var"])
    assert keras.backend.standardize_dtype(total.dtype) == "float32"  # the loss is float32
    with pytest.raises(ValueError, match="precision must be one of"):
        with training.precision("float8"):
            pass
    assert keras.config.dtype_policy().name == "float32"
