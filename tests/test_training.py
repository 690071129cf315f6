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


def _fit_with_log(capsys, log, epochs, initial_epoch=0):
    model = models.dense_vae(hidden_units=8)
    model.compile(optimizer="adam", steps_per_execution=1)
    x = np.random.default_rng(0).uniform(size=(6, 784)).astype("float32")
    model.fit(training.array_dataset(x, 3), epochs=epochs, initial_epoch=initial_epoch,
              verbose=0, shuffle=False, callbacks=[log])
    return capsys.readouterr().out


def test_epoch_log_shows_a_bar_and_says_what_the_rest_will_take(capsys):
    log = training.EpochLog(every=2, description="tiny VAE")
    out = _fit_with_log(capsys, log, epochs=5)
    assert (log.bar.n, log.bar.total, log.bar.desc) == (5, 5, "tiny VAE")   # every epoch counted
    assert "tiny VAE: an epoch takes" in out and "the other 3 epochs will take about" in out
    # the loss lines of the first, every second and the last epoch, then the total time
    assert [line.split(":")[0] for line in out.splitlines() if line.startswith("epoch")] == [
        "epoch   1", "epoch   2", "epoch   4", "epoch   5"]
    assert out.rstrip().splitlines()[-1].startswith("tiny VAE took ")


def test_epoch_log_of_a_resumed_fit_counts_from_where_it_resumed_and_can_stay_quiet(capsys):
    log = training.EpochLog(every=None, description="resumed")
    out = _fit_with_log(capsys, log, epochs=5, initial_epoch=2)
    assert (log.bar.initial, log.bar.n, log.bar.total) == (2, 5, 5)
    # timed on the second epoch of this fit (epoch 4), one epoch is left; no loss lines
    assert out.strip().splitlines() == [out.strip()] and "the other 1 epochs" in out


def test_expected_time_counts_the_steps_of_every_training_and_compares_with_the_budget(capsys):
    x = np.random.default_rng(0).uniform(size=(300, 784)).astype("float32")
    plans = {"small": training.Training(models.dense_vae(hidden_units=8), x, 7, 128),
             "twice": training.Training(models.dense_vae(hidden_units=8), x[:129], 2, 64, False)}
    seconds = training.expected_time(plans, budget_minutes=1e6)
    out = capsys.readouterr().out
    assert "small: 7 epochs of 3 steps (300 images)" in out      # ceil(300 / 128) = 3
    assert "twice: 2 epochs of 3 steps (129 images)" in out      # ceil(129 / 64) = 3
    assert "within the class budget of 1e+06 min" in out and 0 < seconds < 60 * 1e6
    training.expected_time({"small": plans["small"]._replace(model=models.dense_vae(hidden_units=8))},
                           budget_minutes=1e-9)
    assert "over the class budget of 1e-09 min: lower N_TRAIN or the epochs" in capsys.readouterr().out


def test_class_budget_reads_the_measured_table_and_names_a_missing_file(tmp_path, capsys):
    import json

    row = {"notebook": "03_dense_vae.ipynb", "seconds": 300.0, "peak_gb": 1.25, "budget_minutes": 10,
           "training_images_default": 20000, "training_images_full": 60000,
           "expected_training_seconds_full": 720.0}
    path = tmp_path / "class_budget.json"
    path.write_text(json.dumps({"cpu": {"model": "Some CPU"}, "cpu_count": 2, "images": "tiled digits",
                                "device": "tensorflow 2 on CPU (2 cores); no GPU visible",
                                "notebooks": {"03": row}}))
    table = training.class_budget(path)
    assert "measured on Some CPU (2 cores), tensorflow 2 on CPU (2 cores), with tiled digits" in (
        capsys.readouterr().out)
    assert table.loc["03_dense_vae.ipynb"].to_dict() == {
        "training images (default)": 20000, "whole notebook, default (min)": 5.0,
        "peak memory, default (GB)": 1.25,
        "class budget (min)": 10, "training images (FULL = True)": 60000,
        "training, FULL = True (min, estimated)": 12.0}
    with pytest.raises(FileNotFoundError, match="benchmarks/class_budget.py"):
        training.class_budget(tmp_path / "missing.json")
