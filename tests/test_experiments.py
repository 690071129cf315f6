import json
import os
import shutil

import keras
import numpy as np
import pytest

from vae_helpers import experiments, prediction
from vae_helpers.data import MNIST
from vae_helpers.schedules import Constant, FreeBits, LinearWarmup

# xla=False: an XLA compile costs seconds for a one-epoch run (the XLA path has its own test)
TINY = dict(epochs=1, batch_size=64, hidden_units=16, progress=False, xla=False)


@pytest.fixture(scope="module")
def tiny(mnist_small):
    return MNIST(mnist_small.x_train[:256], mnist_small.y_train[:256], mnist_small.x_test[:64],
                 mnist_small.y_test[:64], "test-slice")


@pytest.fixture(scope="module")
def finished_sweep(tiny, tmp_path_factory):
    """A folder holding one finished run, c=1 (a test copies it: one training for them all)."""
    folder = tmp_path_factory.mktemp("finished") / "runs"
    experiments.kl_sweep(tiny, folder, coefficients=[1], **TINY)
    return folder


@pytest.fixture
def one_run(finished_sweep, tmp_path):
    """This test's own copy of the folder of ``finished_sweep``."""
    shutil.copytree(finished_sweep, tmp_path, dirs_exist_ok=True)
    return tmp_path


class Interrupt(Exception):
    pass


@pytest.mark.parametrize("fused", [True, False])
def test_training_sees_the_training_images_less_a_validation_split_and_never_the_test_images(
        tiny, tmp_path, monkeypatch, fused):
    given = []
    real = experiments.training.array_dataset

    def spy(x, batch_size, shuffle, **kwargs):
        given.append((np.array(x), shuffle))
        assert kwargs["seed"] == 3   # the sweep's seed orders the batches
        return real(x, batch_size, shuffle, **kwargs)

    monkeypatch.setattr(experiments.training, "array_dataset", spy)
    experiments.kl_sweep(tiny, tmp_path, coefficients=[0, 1], fused=fused, validation_split=0.25,
                         **{**TINY, "seed": 3})
    fitted = [x for x, shuffle in given if shuffle]
    evaluated = [x for x, shuffle in given if not shuffle]
    assert fitted and all(np.array_equal(x, tiny.x_train[:192]) for x in fitted)
    # per epoch: the held-out quarter; after training: the test images, once per model
    assert np.array_equal(evaluated[0], tiny.x_train[192:])
    assert np.array_equal(evaluated[-1], tiny.x_test)
    assert sum(np.array_equal(x, tiny.x_test) for x in evaluated) == (1 if fused else 2)
    assert json.loads((tmp_path / "settings.json").read_text())["n_validation"] == 64


def test_interrupted_sweep_resumes_without_retraining(tiny, tmp_path, monkeypatch):
    trained = []
    real = experiments._train_run

    def spy(name, *args, **kwargs):
        if name == "c=2" and not trained.count("interrupted"):
            trained.append("interrupted")
            raise Interrupt("kernel died in run 3")
        trained.append(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(experiments, "_train_run", spy)
    with pytest.raises(Interrupt):
        experiments.kl_sweep(tiny, tmp_path, coefficients=[0, 1, 2, 5], fused=False, **TINY)
    assert trained == ["c=0", "c=1", "interrupted"]
    stamp = os.path.getmtime(tmp_path / "c=0" / "result.json")
    table = experiments.kl_sweep(tiny, tmp_path, coefficients=[0, 1, 2, 5], fused=False, **TINY)
    assert trained == ["c=0", "c=1", "interrupted", "c=2", "c=5"]   # only the missing runs
    assert os.path.getmtime(tmp_path / "c=0" / "result.json") == stamp
    assert list(table["c"]) == [0, 1, 2, 5]
    assert list(table.columns) == ["c", "test_total", "test_reconstruction", "test_kl", "active_units"]
    np.testing.assert_allclose(table["test_total"][0], table["test_reconstruction"][0])  # c = 0


@pytest.mark.parametrize("fused", [True, False])
def test_finished_runs_are_never_trained_again(tiny, tmp_path, fused):
    def files(name):  # a rewritten file gets a new inode (results are written and renamed)
        return [os.stat(tmp_path / name / f).st_ino for f in ("result.json", "model.weights.h5")]

    experiments.kl_sweep(tiny, tmp_path, coefficients=[0, 1], fused=fused, **TINY)
    before = {name: files(name) for name in ("c=0", "c=1")}
    table = experiments.kl_sweep(tiny, tmp_path, coefficients=[0, 1, 2], fused=fused, **TINY)
    assert {name: files(name) for name in ("c=0", "c=1")} == before
    assert (tmp_path / "c=2" / "result.json").exists() and len(table) == 3


def test_runs_share_initial_weights_so_c_is_the_only_difference(tiny, tmp_path):
    # the same c trained as the 2nd run of one fused sweep and the only run of another:
    # the same result up to float rounding
    table = experiments.kl_sweep(tiny, tmp_path / "a", coefficients=[0, 0.5], **TINY)
    again = experiments.kl_sweep(tiny, tmp_path / "b", coefficients=[0.5], **TINY)
    assert again["test_total"][0] == pytest.approx(table["test_total"][1], rel=1e-4)
    a = experiments.load_run_model(tmp_path / "a", "c=0.5").get_weights()
    b = experiments.load_run_model(tmp_path / "b", "c=0.5").get_weights()
    assert all(np.allclose(u, v, atol=1e-4) for u, v in zip(a, b))


def test_sequential_runs_are_bit_identical_whatever_else_is_in_the_sweep(tiny, tmp_path):
    experiments.kl_sweep(tiny, tmp_path / "a", coefficients=[0, 0.5], fused=False, **TINY)
    experiments.kl_sweep(tiny, tmp_path / "b", coefficients=[0.5], fused=False, **TINY)
    a = experiments.load_run_model(tmp_path / "a", "c=0.5").get_weights()
    b = experiments.load_run_model(tmp_path / "b", "c=0.5").get_weights()
    assert all(np.array_equal(u, v) for u, v in zip(a, b))


def test_interrupted_fused_sweep_resumes_from_its_last_epoch(tiny, tmp_path, monkeypatch):
    real = experiments.FusedCheckpoint.on_epoch_end

    def dies_after_first_epoch(self, epoch, logs=None):
        real(self, epoch, logs)
        raise Interrupt("kernel died in epoch 2")

    settings = dict(TINY, epochs=3)
    monkeypatch.setattr(experiments.FusedCheckpoint, "on_epoch_end", dies_after_first_epoch)
    with pytest.raises(Interrupt):
        experiments.kl_sweep(tiny, tmp_path, coefficients=[0, 1], **settings)
    state = json.loads((tmp_path / "fused_checkpoint" / "state.json").read_text())
    assert state["epoch"] == 1 and len(state["history"]["kl_1"]) == 1
    trained = []

    def counted(self, epoch, logs=None):
        trained.append(epoch)
        real(self, epoch, logs)

    monkeypatch.setattr(experiments.FusedCheckpoint, "on_epoch_end", counted)
    table = experiments.kl_sweep(tiny, tmp_path, coefficients=[0, 1], **settings)
    assert trained == [1, 2]   # epochs 2 and 3 only: the stored epoch is not trained again
    result = json.loads((tmp_path / "c=1" / "result.json").read_text())
    assert len(result["history"]["kl"]) == 3 and result["history"]["beta"] == [1.0, 1.0, 1.0]
    assert result["history"]["kl"][0] == state["history"]["kl_1"][0]  # epoch 1 kept, not redone
    assert not (tmp_path / "fused_checkpoint").exists()
    assert list(table["c"]) == [0, 1]
    # resumed = uninterrupted: weights, optimizer state, noise and shuffle order restored
    # (the same arithmetic in the same order; a wrong noise stream or order moves weights ~1e-3)
    whole = experiments.kl_sweep(tiny, tmp_path / "whole", coefficients=[0, 1], **settings)
    np.testing.assert_allclose(table["test_total"], whole["test_total"], rtol=1e-6)
    for name in ("c=0", "c=1"):
        resumed = experiments.load_run_model(tmp_path, name).get_weights()
        uninterrupted = experiments.load_run_model(tmp_path / "whole", name).get_weights()
        for a, b in zip(resumed, uninterrupted):
            np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)


def test_corrupt_result_is_reported_and_retrained(tiny, one_run):
    (one_run / "c=1" / "result.json").write_text('{"name": "c=1", "hist')   # killed mid-write
    with pytest.warns(UserWarning, match="corrupt or incomplete"):
        table = experiments.kl_sweep(tiny, one_run, coefficients=[1], **TINY)
    assert np.isfinite(table["test_total"][0])
    assert json.loads((one_run / "c=1" / "result.json").read_text())["name"] == "c=1"


def _cut_in_half(path):
    content = path.read_bytes()
    path.write_bytes(content[:len(content) // 2])


def _other_shapes(path):
    experiments.models.dense_vae(hidden_units=8).save_weights(path)


@pytest.mark.parametrize("damage", [_cut_in_half, _other_shapes], ids=["cut in half", "other shapes"])
@pytest.mark.parametrize("experiment, name", [
    (lambda data, folder: experiments.kl_sweep(data, folder, coefficients=[1, 2], **TINY), "c=2"),
    (lambda data, folder: experiments.annealing_comparison(
        data, {"constant": Constant(), "warm-up": LinearWarmup(0, 2)}, folder, latent_dim=2,
        fused=False, **TINY), "warm-up"),
], ids=["sweep", "annealing"])
def test_damaged_weights_beside_an_intact_result_are_retrained_and_nothing_else(
        tiny, tmp_path, experiment, name, damage):
    experiment(tiny, tmp_path)
    intact = next(d.name for d in tmp_path.iterdir() if d.is_dir() and d.name != name)
    before = {f: os.stat(tmp_path / intact / f).st_ino for f in ("result.json", "model.weights.h5")}
    damage(tmp_path / name / "model.weights.h5")
    assert json.loads((tmp_path / name / "result.json").read_text())["name"] == name  # intact
    with pytest.warns(UserWarning, match="cut short or corrupt") as warned:
        experiment(tiny, tmp_path)
    assert [str(w.message) for w in warned
            if repr(str(tmp_path / name / "model.weights.h5")) in str(w.message)] and not [
        w for w in warned if intact in str(w.message)]
    experiments.load_run_model(tmp_path, name)   # loads again: trained anew
    assert {f: os.stat(tmp_path / intact / f).st_ino for f in before} == before


@pytest.mark.parametrize("content", ['{"architecture": "dense", "epo', "[1, 2]", ""],
                         ids=["cut short", "a list", "empty"])
def test_an_unreadable_settings_file_gets_a_clear_error(tiny, one_run, content):
    (one_run / "settings.json").write_text(content)
    for call in (lambda: experiments.load_run_model(one_run, "c=1"),
                 lambda: experiments.kl_sweep(tiny, one_run, coefficients=[1], **TINY)):
        with pytest.raises(ValueError, match="not a readable settings file.*delete the folder"):
            call()


def test_results_of_other_training_code_are_trained_again_with_a_warning(tiny, one_run,
                                                                         monkeypatch):
    before = os.stat(one_run / "c=1" / "result.json").st_ino
    monkeypatch.setattr(experiments, "_code_fingerprint", lambda: "other code")
    with pytest.warns(UserWarning, match="another version of vae_helpers' training code"):
        experiments.kl_sweep(tiny, one_run, coefficients=[1], **TINY)
    assert os.stat(one_run / "c=1" / "result.json").st_ino != before   # trained again
    assert json.loads((one_run / "settings.json").read_text())["code"] == "other code"


def test_results_of_code_without_a_newer_setting_are_trained_again(tiny, one_run):
    # a folder from a version that had no "precision" setting, reopened after an update
    saved = json.loads((one_run / "settings.json").read_text())
    del saved["precision"]
    (one_run / "settings.json").write_text(json.dumps({**saved, "code": "older code"}))
    with pytest.warns(UserWarning, match="another version of vae_helpers' training code"):
        experiments.kl_sweep(tiny, one_run, coefficients=[1], **TINY)
    assert json.loads((one_run / "settings.json").read_text())["precision"] == "float32"
    # a setting both versions know, changed, is still refused
    (one_run / "settings.json").write_text(json.dumps({**saved, "code": "older code",
                                                        "epochs": 7}))
    with pytest.raises(ValueError, match="different: code, epochs, precision"):
        experiments.kl_sweep(tiny, one_run, coefficients=[1], **TINY)


def test_other_settings_in_the_same_folder_are_refused(tiny, one_run):
    with pytest.raises(ValueError, match=r"other settings \(different: epochs\); use another "
                                         "results_dir or delete that folder.$"):
        experiments.kl_sweep(tiny, one_run, coefficients=[1], **{**TINY, "epochs": 2})


def test_other_data_of_the_same_size_and_source_is_refused(tiny, one_run):
    binarized = MNIST((tiny.x_train > 0.5).astype("float32"), tiny.y_train, tiny.x_test,
                      tiny.y_test, tiny.source)
    with pytest.raises(ValueError, match="different: data_fingerprint"):
        experiments.kl_sweep(binarized, one_run, coefficients=[1], **TINY)


@pytest.mark.parametrize("bad, match", [
    ({"learning_rate": -1e-3}, "learning_rate must be a finite number > 0"),
    ({"latent_dim": 0}, "latent_dim must be an integer >= 1"),
    ({"hidden_units": [16, 0]}, "hidden_units must be an integer >= 1"),
    ({"seed": -1}, "seed must be an integer in \\[0, 4294967295\\]"),
    ({"epochs": True}, "epochs must be an integer >= 1"),
    ({"validation_split": 0}, r"validation_split must be a finite number in \(0, 0.5\]"),
    ({"validation_split": 0.9}, "validation_split must be a finite number"),
])
def test_bad_settings_are_refused_before_the_folder_is_touched(tiny, tmp_path, bad, match):
    with pytest.raises((TypeError, ValueError), match=match):
        experiments.kl_sweep(tiny, tmp_path / "runs", coefficients=[1], **{**TINY, **bad})
    assert not (tmp_path / "runs").exists()   # so the next valid call is not refused


@pytest.mark.parametrize("name", ["fused_checkpoint", "settings.json", "initial.weights.h5",
                                  ".hidden", "", "a/b", 7])
def test_run_names_that_collide_with_the_folders_own_files_are_refused(tiny, tmp_path, name):
    with pytest.raises(ValueError, match="must be a plain folder name"):
        experiments.annealing_comparison(tiny, {name: Constant(1.0)}, tmp_path, **TINY)
    assert not any(tmp_path.iterdir())


def test_a_folder_in_use_by_another_process_is_refused(tiny, one_run):
    import fcntl

    with open(one_run / ".lock", "w") as lock:   # as another process training into it holds it
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(RuntimeError, match="in use by another process"):
            experiments.kl_sweep(tiny, one_run, coefficients=[1], **TINY)
    assert len(experiments.kl_sweep(tiny, one_run, coefficients=[1], **TINY)) == 1  # released


def test_a_run_stored_with_another_schedule_is_refused_not_reused(tiny, tmp_path):
    settings = {**TINY, "epochs": 2}
    experiments.annealing_comparison(tiny, {"warm-up": LinearWarmup(0, 2, beta_max=4.0)}, tmp_path,
                                     **settings)
    again = experiments.annealing_comparison(tiny, {"warm-up": LinearWarmup(0, 2, beta_max=4.0)},
                                             tmp_path, **settings)   # same schedule: loaded
    assert again["warm-up"]["history"]["beta"] == [0.0, 2.0]
    with pytest.raises(ValueError, match="'warm-up'.*another schedule"):
        experiments.annealing_comparison(tiny, {"warm-up": LinearWarmup(0, 2, beta_max=8.0)},
                                         tmp_path, **settings)


@pytest.mark.parametrize("fused", [True, False])
def test_free_bits_runs_train_with_their_floor_and_are_not_reused_with_another(tiny, tmp_path,
                                                                              fused):
    runs = {"plain": Constant(1.0), "free bits": FreeBits(2.0)}
    results = experiments.annealing_comparison(tiny, runs, tmp_path, fused=fused, **TINY)
    assert results["plain"]["free_bits"] == 0.0 and results["free bits"]["free_bits"] == 2.0
    # same initial weights, same beta, same noise: only the floor differs, and it changes
    # the training (a 2-nat floor on each of 2 dimensions lies above this model's KL)
    assert results["free bits"]["history"]["loss"] != results["plain"]["history"]["loss"]
    with pytest.raises(ValueError, match="'free bits'.*another schedule.*free bits 2 against 0.5"
                                         r"\); use another results_dir or delete that run's folder.$"):
        experiments.annealing_comparison(tiny, {"free bits": FreeBits(0.5)}, tmp_path, fused=fused,
                                         **TINY)


def test_load_run_model(tiny, one_run):
    model = experiments.load_run_model(one_run, "c=1")
    assert model.encoder.count_params() == 784 * 16 + 16 + 2 * (16 * 2 + 2)   # hidden_units=16
    assert prediction.encode(model, tiny.x_test[:3])[0].shape == (3, 2)
    with pytest.raises(FileNotFoundError, match="no finished run"):
        experiments.load_run_model(one_run, "c=7")


def test_annealing_comparison_logs_beta(tiny, tmp_path):
    keras.utils.set_random_seed(0)
    results = experiments.annealing_comparison(
        tiny, {"constant": Constant(1.0), "warm-up": LinearWarmup(start=1, duration=1)}, tmp_path,
        **{**TINY, "epochs": 3}, latent_dim=4)
    assert results["warm-up"]["history"]["beta"] == [0.0, 0.0, 1.0]
    assert results["constant"]["history"]["beta"] == [1.0, 1.0, 1.0]
    assert len(results["constant"]["kl_per_dimension"]) == 4


@pytest.mark.parametrize("fused", [True, False])
def test_experiments_compile_with_xla_unless_told_not_to(tiny, tmp_path, monkeypatch, fused):
    asked = []

    def spy(model, xla=True):   # records the choice and stops before any training
        asked.append(xla)
        raise Interrupt("compiled")

    monkeypatch.setattr(experiments.training, "compile_settings", spy)
    settings = {**TINY, "fused": fused}
    del settings["xla"]
    for i, xla in enumerate([{}, {"xla": False}, {"xla": True}]):
        with pytest.raises(Interrupt):
            experiments.kl_sweep(tiny, tmp_path / f"sweep {i}", coefficients=[0, 1], **settings,
                                 **xla)
        with pytest.raises(Interrupt):
            experiments.annealing_comparison(tiny, {"constant": Constant()},
                                             tmp_path / f"annealing {i}", **settings, **xla)
    assert asked == [True, True, False, False, True, True]


@pytest.mark.parametrize("fused, label", [(False, "c=0.5"), (True, "2 runs fused")])
def test_the_progress_bar_names_the_run_it_trains(tiny, tmp_path, monkeypatch, fused, label):
    shown = []

    class Bar(experiments.training.EpochLog):   # records its settings, stops before training
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            shown.append((self.every, self.description))
            raise Interrupt("bar built")

    monkeypatch.setattr(experiments.training, "EpochLog", Bar)
    with pytest.raises(Interrupt):
        experiments.kl_sweep(tiny, tmp_path, coefficients=[0.5, 1],
                             fused=fused, **{**TINY, "progress": True})
    assert shown == [(None, label)]   # a bar per training, no lines of loss terms


def test_a_results_dir_in_a_new_folder_is_made(tiny, tmp_path, monkeypatch):
    def stop(model, xla=True):
        raise Interrupt("compiled")

    monkeypatch.setattr(experiments.training, "compile_settings", stop)
    with pytest.raises(Interrupt):
        experiments.kl_sweep(tiny, tmp_path / "new" / "runs", coefficients=[1], **TINY)
    assert (tmp_path / "new" / "runs" / "settings.json").exists()


def test_a_loss_that_becomes_nan_stops_the_sweep_and_stores_nothing(tiny, tmp_path):
    with pytest.raises(FloatingPointError, match="the loss became (nan|inf) in epoch 1"):
        experiments.kl_sweep(tiny, tmp_path, coefficients=[1], **{**TINY, "learning_rate": 1e12})
    assert not (tmp_path / "c=1").exists()


def test_settings_of_an_unknown_architecture_are_refused(tiny, one_run):
    settings = json.loads((one_run / "settings.json").read_text())
    (one_run / "settings.json").write_text(json.dumps({**settings, "architecture": "conv"}))
    with pytest.raises(ValueError, match="unknown architecture 'conv'"):
        experiments.load_run_model(one_run, "c=1")
