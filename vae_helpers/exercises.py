"""Exercise checks: students call them on their own solutions and see what failed,
never code or the formula. ``package_answers_blocked`` lets a graded (hidden) test
refuse an answer that calls the package's own implementation;
``check_solution_markers`` guards the student version against misspelt solution
markers."""

import contextlib
import difflib
import importlib
import inspect
import io
import json
import re

import numpy as np

from .validation import (check_callable, check_choice, check_images, check_list, check_path,
                         check_seed, check_size)

SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")


# the modules whose functions answer an exercise; blocked while a graded test runs an answer
ANSWER_MODULES = ("losses", "schedules", "diagnostics", "toy_models", "models")


class ExerciseNotPassed(AssertionError):
    """Raised by an exercise check, with a message meant for the student.

    In IPython only the message is shown: a traceback would print the
    reference solution's source.
    """

    def _render_traceback_(self):
        return [f"Exercise not passed yet: {self}"]


def _blocked(*args, **kwargs):  # pragma: no mutate block (its code is swapped in: no wrapper)
    """Stands in for a package function while answers are graded: it runs with that
    function's globals, so it reaches only builtins, its module's ``__name__`` and its
    own (renamed) code object."""
    exercises = __import__("vae_helpers.exercises", fromlist=["ExerciseNotPassed"])
    name = f"{__name__}.{__import__('sys')._getframe(0).f_code.co_name}"
    raise exercises.ExerciseNotPassed(
        f"your answer calls {name}, the package's own implementation of what the exercise "
        "asks you to write; write the computation yourself (numpy or keras.ops).")


def _answer_functions():
    """Every plain function and method defined in ``ANSWER_MODULES`` whose code can be
    swapped (no closure: a method calling ``super()`` has one and is left alone)."""
    found = []
    for name in ANSWER_MODULES:
        module = importlib.import_module(f"{__package__}.{name}")
        for obj in vars(module).values():
            if getattr(obj, "__module__", None) != module.__name__:
                continue
            if inspect.isfunction(obj):
                found.append(obj)
            elif inspect.isclass(obj):
                found += [f for f in vars(obj).values() if inspect.isfunction(f)]
    return [f for f in found if not f.__code__.co_freevars]


@contextlib.contextmanager
def package_answers_blocked():
    """While inside, every function and method of the package's answer modules (losses,
    schedules, diagnostics, toy models, models) raises ``ExerciseNotPassed`` naming itself:
    a graded test runs the student's answer inside, so an answer that delegates to the
    package fails, however it reached the function (module attribute, imported name, bound
    method of a schedule object)."""
    saved = {f: f.__code__ for f in _answer_functions()}
    try:
        for function in saved:
            function.__code__ = _blocked.__code__.replace(co_name=function.__name__)
        yield
    finally:
        for function, code in saved.items():
            function.__code__ = code


def _run_cases(fn, cases, reference, hint, rtol=1e-5, atol=1e-6):
    """Call ``fn`` on each ``(label, args)`` case and compare with ``reference(*args)``."""
    name = getattr(fn, "__name__", "your function")
    check_callable("fn", fn, "check(my_function): pass your function itself")
    cases = check_list("cases", cases, "case")
    for label, args in cases:
        try:
            got = fn(*args)
        except NotImplementedError:
            raise ExerciseNotPassed(f"{name} is not implemented yet: replace the "
                                    "`raise NotImplementedError()` line with your code.") from None
        except Exception as error:  # the student's code crashed: say where and why
            raise ExerciseNotPassed(f"{name} raised {type(error).__name__}: {error} "
                                    f"(case: {label}).") from None
        expected = np.asarray(reference(*args), dtype="float64")
        try:
            got_array = np.asarray(got, dtype="float64")
        except (TypeError, ValueError):
            raise ExerciseNotPassed(f"{name} returned {type(got).__name__}, not numbers "
                                    f"(case: {label}).") from None
        if got_array.shape != expected.shape:
            raise ExerciseNotPassed(f"{name} returned shape {got_array.shape} but the expected "
                                    f"shape is {expected.shape} (case: {label}). Hint: {hint}")
        if not np.allclose(got_array, expected, rtol=rtol, atol=atol):
            raise ExerciseNotPassed(
                f"{name} is wrong for the case {label}:\n  expected {np.round(expected, 4)}\n"
                f"  got      {np.round(got_array, 4)}\nHint: {hint}")
    print(f"✓ {name}: all {len(cases)} cases agree with the reference implementation.")


def passes(check, *args, **kwargs):
    """True when ``check(*args, **kwargs)`` (an exercise check) passes, with its message
    kept quiet: a notebook uses a student's answer in its experiment only once it does."""
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            check(*args, **kwargs)
        except ExerciseNotPassed:
            return False
    return True


def check_kl_standard_normal(fn):
    """Check ``fn(mean, log_var) -> KL(N(mean, exp(log_var)) || N(0, I))`` per example."""
    from . import losses

    rng = np.random.default_rng(0)
    cases = [("mean=0, log_var=0 (q is the prior)", (np.zeros((1, 2)), np.zeros((1, 2)))),
             ("one dimension, mean=1.5, var=0.6", (np.array([[1.5]]), np.log([[0.6]]))),
             ("a batch of 5 in 3-D", (rng.normal(size=(5, 3)), rng.normal(size=(5, 3))))]
    _run_cases(fn, cases, lambda m, lv: np.asarray(losses.kl_standard_normal(m, lv)),
                      "start from the closed form of the KL between two Gaussians (notebook 02, "
                      "section 3) with the prior's mean 0 and variance 1; remember that log_var "
                      "is the log of the variance, that a q equal to the prior must cost 0, and "
                      "that the dimensions are independent (one number per example).")


def check_kl_per_dimension(fn):
    """Check ``fn(z_mean, z_log_var) -> each latent dimension's KL, averaged over the images``."""
    from . import losses

    rng = np.random.default_rng(3)
    cases = [("two images equal to the prior", (np.zeros((2, 2)), np.zeros((2, 2)))),
             ("one image, one informative dimension", (np.array([[2.0, 0.0]]), np.zeros((1, 2)))),
             ("a batch of 6 in 3-D", (rng.normal(size=(6, 3)), rng.normal(size=(6, 3))))]
    _run_cases(fn, cases,
               lambda m, lv: np.mean(np.asarray(losses.kl_standard_normal(m, lv, reduction="none")),
                                     axis=0),
               "one number per latent dimension: each dimension's own KL to N(0, 1) (the "
               "dimensions are independent), averaged over the images (the rows).")


def check_reparameterize(fn):
    """Check ``fn(mean, log_var, eps) -> mean + exp(0.5 * log_var) * eps``."""
    rng = np.random.default_rng(1)
    cases = [("eps=0 gives the mean", (np.array([[0.3, -1.0]]), np.zeros((1, 2)), np.zeros((1, 2)))),
             ("log_var=log 4, eps=1", (np.zeros((1, 1)), np.log([[4.0]]), np.ones((1, 1)))),
             ("a batch of 4 in 2-D", tuple(rng.normal(size=(4, 2)) for _ in range(3)))]
    _run_cases(fn, cases, lambda m, lv, e: m + np.exp(0.5 * lv) * e,
                      "z must have the encoder's mean and variance: what scale must eps be "
                      "multiplied by, given the log of the variance?")


def check_bernoulli_reconstruction(fn):
    """Check ``fn(x, x_hat) -> Bernoulli NLL summed over pixels``, one value per example."""
    from . import losses

    rng = np.random.default_rng(2)
    x = (rng.uniform(size=(3, 784)) < 0.3).astype("float64")
    grey = rng.uniform(size=(3, 784))
    x_hat = rng.uniform(0.05, 0.95, size=(3, 784))
    cases = [("all pixels predicted at 0.5", (x[:1], np.full((1, 784), 0.5))),
             ("3 binary images", (x, x_hat)),
             ("3 grey images (MNIST pixels lie anywhere in [0, 1])", (grey, x_hat))]
    _run_cases(fn, cases, lambda a, b: np.asarray(losses.bernoulli_nll(a, b, "sum")),
               "each pixel is a coin that shows 1 with probability x_hat; a grey x weights "
               "both outcomes. The loss is a negative log-likelihood, and independent pixels "
               "multiply their probabilities (notebook 02 says what that does to the logs).",
               rtol=1e-4)


def check_fraction_inside(fn):
    """Check ``fn(z, radius) -> fraction of points with ||z|| < radius``."""
    z = np.random.default_rng(4).standard_normal((2000, 2))
    cases = [("radius 1", (z, 1.0)), ("radius 2", (z, 2.0)), ("radius 0", (z, 0.0))]
    _run_cases(fn, cases, lambda a, r: np.mean(np.linalg.norm(a, axis=1) < r),
                      "one distance per point (per row), and the answer is a share of the "
                      "points, not a count; a point at exactly the radius is not inside.")


def check_information(fn):
    """Check ``fn(z_mean, z_log_var, z) -> estimate of I(x; z)`` (nats): one draw z_n from each
    image's encoder, q(z) the mixture of the N encoders."""
    from scipy.special import logsumexp

    def reference(z_mean, z_log_var, z):   # nested: an answer cannot simply call it
        diff = z[:, None, :] - z_mean[None]
        log_q = -0.5 * np.sum(np.log(2 * np.pi) + z_log_var[None]
                              + diff ** 2 / np.exp(z_log_var)[None], axis=-1)  # log q(z_n | x_m)
        return np.mean(np.diag(log_q) - logsumexp(log_q, axis=1) + np.log(len(z)))

    rng = np.random.default_rng(6)
    mean, log_var = rng.normal(size=(5, 2)), rng.normal(scale=0.5, size=(5, 2))
    cases = [("5 encoders in 2-D", (mean, log_var, mean + np.exp(0.5 * log_var) * rng.normal(size=(5, 2)))),
             ("3 identical encoders", (np.ones((3, 2)), np.zeros((3, 2)), rng.normal(size=(3, 2)))),
             ("2 encoders far apart", (np.array([[0.0], [50.0]]), np.zeros((2, 1)), np.array([[0.1], [49.0]])))]
    _run_cases(fn, cases, reference,
               "for each draw, compare how likely it is under its own encoder with how likely it is "
               "under the mixture of all N encoders (equal weights 1/N), in logs; average over the "
               "draws. Far-apart encoders make some densities underflow: stay in logs.", rtol=1e-6)


def check_active_units(fn):
    """Check ``fn(z_mean, threshold) -> number of dimensions whose variance over x exceeds threshold``."""
    rng = np.random.default_rng(5)
    z = rng.normal(size=(500, 4)) * np.array([1.0, 0.2, 0.05, 0.0])
    cases = [("threshold 0.01", (z, 0.01)), ("threshold 0.1", (z, 0.1)), ("threshold 10", (z, 10.0))]
    _run_cases(fn, cases, lambda a, t: np.sum(a.var(axis=0) > t),
                      "a dimension is active when its mean moves from image to image: measure "
                      "that movement for each dimension across the images (rows), and count only "
                      "values strictly above the threshold.")


def check_schedule(fn, reference, name, points):
    """Check a student's schedule ``fn(t)`` against a ``vae_helpers.schedules`` object."""
    check_callable("reference", reference, "schedules.LinearWarmup()", n_args=1)
    cases = [(f"{name}, t={t}", (t,)) for t in check_list("points", points, "time step")]
    _run_cases(fn, cases, reference,
                      f"compare with the description of the {name} schedule in the text above; "
                      "watch the epoch where the ramp starts, the one where it ends, fractional "
                      "epochs, and (for cycles) the exact length of a cycle.")


def _fixed_vae_outputs(seed=0):
    """Images and the outputs of a small dense VAE with fixed weights on them."""
    import keras

    from . import models

    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    x = np.concatenate([rng.uniform(size=(3, 784)), (rng.uniform(size=(3, 784)) < 0.3)])
    x = x.astype("float32")
    outputs = models.dense_vae(hidden_units=32)(x)
    return x, *(np.asarray(outputs[k]) for k in ("x_hat", "z_mean", "z_log_var"))


def check_vae_loss(fn, reconstruction="bernoulli"):
    """Check ``fn(x, x_hat, z_mean, z_log_var, beta) -> (total, reconstruction, kl)``
    (batch means, reconstruction summed over pixels) on a VAE with fixed weights;
    ``reconstruction`` names the reference's term ("bernoulli" or "gaussian")."""
    from . import losses

    check_choice("reconstruction", reconstruction, losses.RECONSTRUCTIONS)
    term = {"bernoulli": "the Bernoulli NLL", "gaussian": "the squared error"}[reconstruction]
    x, x_hat, z_mean, z_log_var = _fixed_vae_outputs()
    cases = [(f"beta={beta:g}", (x, x_hat, z_mean, z_log_var, beta)) for beta in (1.0, 0.0, 4.0)]
    _run_cases(fn, cases,
               lambda *args: [np.asarray(t) for t in losses.vae_loss(*args, reconstruction)],
               f"three numbers, in the order the exercise gives; {term} and the KL are each one "
               "number per image first (which axis holds the pixels, which the latent "
               "dimensions?), then averaged over the batch, and beta weighs only one term.",
               rtol=1e-4)


def check_loss_trains(fn, x, reconstruction="bernoulli", epochs=2, n_images=1000, seed=0):
    """Train a small dense VAE whose loss is ``fn`` and the same VAE with the
    reference loss (``reconstruction`` as in ``check_vae_loss``), from the same
    seed; pass when both learn alike."""
    import keras

    from . import losses, models

    check_callable("fn", fn, "check_loss_trains(my_loss, x): pass your function itself")
    x = check_images(x, "x", shape=(784,))[:check_size("n_images", n_images)]
    check_choice("reconstruction", reconstruction, losses.RECONSTRUCTIONS)
    epochs, seed = check_size("epochs", epochs), check_seed(seed)

    class StudentLossVAE(models.VAE):
        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
            total, reconstruction, kl = fn(x, y_pred["x_hat"], y_pred["z_mean"],
                                           y_pred["z_log_var"], self.beta)
            self.reconstruction_tracker.update_state(reconstruction)
            self.kl_tracker.update_state(kl)
            return total

    def train(cls):
        keras.utils.set_random_seed(seed)
        model = cls(models.dense_encoder(hidden_units=64, seed=seed),
                    models.dense_decoder(hidden_units=64), reconstruction=reconstruction)
        model.compile(optimizer=keras.optimizers.Adam(1e-3))
        return model.fit(x, epochs=epochs, batch_size=100, shuffle=False, verbose=0)

    name = getattr(fn, "__name__", "your loss")
    try:
        fn(*_fixed_vae_outputs(), 1.0)
    except NotImplementedError:
        raise ExerciseNotPassed(f"{name} is not implemented yet: replace the "
                                "`raise NotImplementedError()` line with your code.") from None
    except Exception:
        pass  # any other failure is reported from inside training below
    try:
        got = train(StudentLossVAE).history["loss"]
    except Exception as error:
        raise ExerciseNotPassed(f"training with {name} failed: {type(error).__name__}: "
                                f"{str(error)[:200]}. Inside training the inputs are tensors: "
                                "use keras.ops (ops.log, ops.sum, ...), not numpy.") from None
    want = train(models.VAE).history["loss"]
    if not np.all(np.isfinite(got)) or not np.allclose(got, want, rtol=1e-3):
        raise ExerciseNotPassed(f"a VAE trained with {name} reached losses {np.round(got, 1)}, "
                                f"the reference loss {np.round(want, 1)}; check the loss terms.")
    print(f"✓ {name} trains a VAE: loss {got[0]:.1f} -> {got[-1]:.1f} per image over "
          f"{epochs} epochs on {len(x)} images, as the reference loss does ({want[-1]:.1f}).")


def _near_miss(line):
    """True for a comment line that looks like a solution marker but is not exactly one."""
    words = re.sub(r"[^a-z]", "", line.lower())
    return (line.lstrip().startswith("#") and line.strip() not in SOLUTION_MARKERS
            and any(difflib.SequenceMatcher(None, words, marker).ratio() >= 0.8
                    for marker in ("beginsolution", "endsolution")))


def check_solution_markers(notebook, resources=None):
    """Refuse a notebook (a path or a loaded notebook) whose code cells hold a line that is
    almost, but not exactly, ``### BEGIN SOLUTION`` or ``### END SOLUTION``: nbgrader would
    copy that solution into the student version. Returns ``(notebook, resources)``, so it
    also works as an nbgrader preprocessor (``c.GenerateAssignment.preprocessors``)."""
    if not isinstance(notebook, dict):
        with open(check_path("notebook", notebook), encoding="utf-8") as file:
            notebook = json.load(file)
    for index, cell in enumerate(notebook.get("cells", [])):
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        for line in source.splitlines():
            if cell.get("cell_type") == "code" and _near_miss(line):
                raise ValueError(f"code cell {index} has the line {line.strip()!r}, a misspelt "
                                 f"solution marker; write exactly {SOLUTION_MARKERS[0]!r} or "
                                 f"{SOLUTION_MARKERS[1]!r}, or the solution reaches the students.")
    return notebook, resources
