"""Break one promised behaviour at a time in a copy of the project; check a test notices.

    .venv/bin/python scripts/mutations.py [--only NAME ...]

Each mutation replaces one snippet of ``vae_helpers`` (which must occur exactly
once, so the list fails loudly when the code moves on) in a temporary copy of
the repository, runs the tests that guard that behaviour there, and counts it
caught when they fail. The same tests are first run on the unchanged copy: they
must pass, or a "caught" would mean nothing. Not part of the default test command
(it takes several minutes); run it after changing a guarded behaviour.
"""

import argparse
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
COPIED = ("vae_helpers", "tests", "benchmarks", "pyproject.toml")

# (name, README claim, file, snippet, replacement, tests that guard it)
MUTATIONS = [
    ("fused-noise-zero", "a fused run equals a separate training with the same noise",
     "vae_helpers/fused.py", "ops.exp(0.5 * z_log_var) * eps[None]",
     "ops.exp(0.5 * z_log_var) * (0 * eps[None])", ["tests/test_fused.py"]),
    ("restore-skips-weights", "an interrupted fused sweep resumes where it stopped",
     "vae_helpers/experiments.py", 'model.load_weights(self.folder / "fused.weights.h5")',
     "pass", ["tests/test_experiments.py::test_interrupted_fused_sweep_resumes_from_its_last_epoch"]),
    ("restore-skips-noise-state", "an interrupted fused sweep resumes where it stopped",
     "vae_helpers/experiments.py",
     'model.seed_generator.state.assign(np.asarray(state["noise_state"],', "(np.asarray(state[\"noise_state\"],",
     ["tests/test_experiments.py::test_interrupted_fused_sweep_resumes_from_its_last_epoch"]),
    ("resume-repeats-shuffle-orders", "an interrupted fused sweep resumes where it stopped",
     "vae_helpers/experiments.py", "for _ in range(initial_epoch):", "for _ in range(0):",
     ["tests/test_experiments.py::test_interrupted_fused_sweep_resumes_from_its_last_epoch"]),
    ("fused-retrains-finished", "a sweep never retrains a finished run",
     "vae_helpers/experiments.py", "_train_fused(pending, results_dir,",
     "_train_fused(dict(runs), results_dir,",
     ["tests/test_experiments.py::test_finished_runs_are_never_trained_again"]),
    ("validation-on-test-images", "the test images are used once, after training",
     "vae_helpers/experiments.py", "validation_data=_batches(x_validation, settings, False)",
     "validation_data=_batches(data.x_test, settings, False)",
     ["tests/test_experiments.py::test_training_sees_the_training_images_less_a_validation_split_and_never_the_test_images"]),
    ("set-seed-ignores-seed", "the same seed gives the same numbers, other seeds differ",
     "vae_helpers/config.py", "keras.utils.set_random_seed(int(seed))",
     "keras.utils.set_random_seed(0)", ["tests/test_models.py"]),
    ("sampling-std-is-variance", "the sampling layer draws z ~ N(mean, exp(log_var))",
     "vae_helpers/models.py", "return z_mean + ops.exp(0.5 * z_log_var) * eps",
     "return z_mean + ops.exp(z_log_var) * eps", ["tests/test_models.py"]),
    ("nan-check-first-row", "bad inputs (NaN anywhere) get a clear error",
     "vae_helpers/validation.py", "if not np.all(np.isfinite(array)):",
     "if not np.all(np.isfinite(array[:1])):", ["tests/test_bad_inputs.py"]),
    ("importance-sampling-without-q", "log p(x) is estimated by importance sampling",
     "vae_helpers/diagnostics.py",
     "                 - losses.gaussian_log_density(z, z_mean, z_log_var).sum(axis=1))", ")",
     ["tests/test_diagnostics.py"]),
    ("kl-split-mixture-without-1/N", "the KL splits into information (at most log N) and marginal KL",
     "vae_helpers/diagnostics.py", "                       - math.log(n)).reshape(z.shape[:2])",
     "                       ).reshape(z.shape[:2])", ["tests/test_diagnostics.py"]),
    ("kl-split-prior-for-aggregate", "the KL splits into information (at most log N) and marginal KL",
     "vae_helpers/diagnostics.py", '(("information", log_own - log_mixture),',
     '(("information", log_own - log_prior),', ["tests/test_diagnostics.py"]),
    ("rate-distortion-axes-swapped", "the rate-distortion plane draws each c where the table puts it",
     "vae_helpers/plotting.py", 'ax.plot(distortion, rate, "o-" if ours else "s--"',
     'ax.plot(rate, distortion, "o-" if ours else "s--"', ["tests/test_plotting.py"]),
    ("free-bits-floor-before-batch-mean", "free bits floor each dimension's batch-averaged KL",
     "vae_helpers/losses.py",
     'per_dim = ops.mean(kl_standard_normal(mean, log_var, reduction="none"), axis=0)\n'
     "    return ops.sum(ops.maximum(per_dim, ops.cast(floor, per_dim.dtype)))",
     'per_dim = kl_standard_normal(mean, log_var, reduction="none")\n'
     "    return ops.mean(ops.sum(ops.maximum(per_dim, ops.cast(floor, per_dim.dtype)), axis=1))",
     ["tests/test_losses.py"]),
    ("learned-variance-ignored", "a learned decoder variance enters the reconstruction term",
     "vae_helpers/losses.py", "variance = ops.exp(ops.cast(log_variance, x_hat.dtype))",
     "variance = ops.convert_to_tensor(0.5, x_hat.dtype)",
     ["tests/test_losses.py",
      "tests/test_models.py::test_a_learned_decoder_variance_is_the_mean_squared_error_of_the_batch"]),
    ("active-units-from-log-variance", "active units: variance of the encoder means",
     "vae_helpers/diagnostics.py", "z_mean, _ = encode(model, x)\n    variances = z_mean.var",
     "_, z_mean = encode(model, x)\n    variances = z_mean.var", ["tests/test_diagnostics.py"]),
    ("fingerprint-ignores-images", "results made from other data are not reused",
     "vae_helpers/experiments.py", "for array in (data.x_train, data.y_train, data.x_test, data.y_test):",
     "for array in (data.y_train, data.y_test):",
     ["tests/test_experiments.py::test_other_data_of_the_same_size_and_source_is_refused"]),
    ("results-of-other-code-reused", "results from other training code are not reused",
     "vae_helpers/experiments.py", '"code": _code_fingerprint()}', "}",
     ["tests/test_experiments.py::test_results_of_other_training_code_are_trained_again_with_a_warning"]),
]


def _copy(destination):
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, destination / name,
                            ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
        else:
            shutil.copy2(source, destination / name)


def _pytest(folder, tests):
    """Run ``tests`` in ``folder`` (its vae_helpers shadows the installed one); return rc."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(PYTHONPATH=str(folder), TF_CPP_MIN_LOG_LEVEL="3", CI="true")
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
               "-p", "no:randomly", *tests]
    return subprocess.run(command, cwd=folder, env=env, stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode


def _mutate(folder, path, snippet, replacement):
    file = folder / path
    text = file.read_text()
    if text.count(snippet) != 1:
        raise SystemExit(f"{path}: the snippet {snippet!r} occurs {text.count(snippet)} times, "
                         "not once; update this mutation to the code.")
    file.write_text(text.replace(snippet, replacement))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="names of the mutations to run")
    args = parser.parse_args()
    chosen = [m for m in MUTATIONS if not args.only or m[0] in args.only]
    with tempfile.TemporaryDirectory() as folder:
        folder = pathlib.Path(folder)
        _copy(folder)
        check = subprocess.run([sys.executable, "-c", "import vae_helpers; print(vae_helpers.__file__)"],
                               cwd=folder, env={**os.environ, "PYTHONPATH": str(folder)},
                               capture_output=True, text=True).stdout.strip()
        if not check.startswith(str(folder)):
            raise SystemExit(f"the copy's vae_helpers is not the one imported ({check}).")
        tests = sorted({t for m in chosen for t in m[5]})
        print(f"unchanged copy: {len(tests)} test targets ...", flush=True)
        if _pytest(folder, tests) != 0:
            raise SystemExit("the tests fail on the unchanged code; fix them first.")
        caught = 0
        for name, claim, path, snippet, replacement, guards in chosen:
            start = time.perf_counter()
            original = (folder / path).read_text()
            _mutate(folder, path, snippet, replacement)
            rc = _pytest(folder, guards)
            (folder / path).write_text(original)
            verdict = "caught" if rc == 1 else ("NOT CAUGHT" if rc == 0 else f"error (rc {rc})")
            caught += rc == 1
            print(f"{verdict:>12}  {name:<32} {claim} [{time.perf_counter() - start:.0f} s]",
                  flush=True)
    print(f"{caught} of {len(chosen)} mutations caught")
    return 0 if caught == len(chosen) else 1


if __name__ == "__main__":
    sys.exit(main())
