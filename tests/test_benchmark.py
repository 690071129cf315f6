"""The benchmark script runs end to end on a tiny data set (timings are not checked here)."""
import importlib.util
import re
import pathlib

import pytest

from vae_helpers import models

PATH = pathlib.Path(__file__).resolve().parents[1] / "benchmarks" / "benchmark.py"


@pytest.fixture
def bench(monkeypatch):
    spec = importlib.util.spec_from_file_location("benchmark", PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "N_IMAGES", 640)
    monkeypatch.setattr(module, "SWEEP_EPOCHS", 1)
    monkeypatch.setitem(module.SWEEP, "coefficients", (0, 1))
    return module


def test_flop_count_of_the_dense_vae(bench):
    per_example = bench.training_flops(models.dense_encoder(), models.dense_decoder())
    # the first layer has no input gradient (2 products per weight), the others 3
    macs_first, macs_rest = 784 * 512, 512 * 2 * 2 + 2 * 512 + 512 * 784
    assert per_example == 2 * (2 * macs_first + 3 * macs_rest)


def test_every_part_runs_and_the_table_has_each_ratio(bench):
    results = {"matmul": {"peak_gflops": 100.0, "dense_shape_gflops": 50.0}}
    for name in ("dense_baseline", "dense_project", "sweep_sequential", "sweep_fused"):
        results[name] = {**bench.PARTS[name](), "peak_rss_gb": 1.0}
        assert results[name]["seconds"] > 0 and results[name]["flops"] > 0
    table = bench.report(results)
    assert len(re.findall(r"\d\.\d\dx", table)) == 2   # project vs baseline, fused vs sequential
