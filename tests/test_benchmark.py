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
    monkeypatch.setattr(module, "REPEATS", 1)
    monkeypatch.setattr(module, "FIDELITY_EPOCHS", 1)
    monkeypatch.setitem(module.SWEEP, "coefficients", (0, 1))
    return module


def test_flop_count_of_the_dense_vae(bench):
    per_example = bench.training_flops(models.dense_encoder(), models.dense_decoder())
    # the first layer has no input gradient (2 products per weight), the others 3
    macs_first, macs_rest = 784 * 512, 512 * 2 * 2 + 2 * 512 + 512 * 784
    assert per_example == 2 * (2 * macs_first + 3 * macs_rest)


def test_cpu_description_names_the_model_and_known_flags_only(bench):
    cpu = bench.cpu_description()
    assert cpu["model"] and set(cpu["flags"]) <= set(bench.CPU_FLAGS)
    assert bench.bf16_supported({"model": "x", "flags": ["avx2", "avx512_bf16"]})
    assert not bench.bf16_supported({"model": "x", "flags": ["avx2", "avx512f"]})


def test_sweep_setup_and_epoch_cost_come_from_two_lengths(bench, monkeypatch):
    timings = iter([30.0, 50.0])  # seconds of the 1- and the 3-epoch sweep
    monkeypatch.setattr(bench, "_best", lambda function, repeats=None: (t := next(timings), [t]))
    result = bench.part_sweep(fused=True)
    assert result["seconds"] == pytest.approx(10.0) and result["setup_seconds"] == pytest.approx(20.0)
    assert result["total_seconds"] == pytest.approx(20.0 + 40 * 10.0)
    # a second round, slower at 1 epoch and faster at 3: each length keeps its fastest
    again = {"measured": {"1": [31.0], "3": [46.0]}, "flops": 1, "peak_rss_gb": 2.0,
             "wall_seconds": 80.0}
    merged = bench.sweep_summary({**result, "peak_rss_gb": 1.0, "wall_seconds": 85.0}, again)
    assert merged["measured"] == {"1": [30.0, 31.0], "3": [50.0, 46.0]}
    assert merged["seconds"] == pytest.approx(8.0) and merged["setup_seconds"] == pytest.approx(22.0)
    assert merged["peak_rss_gb"] == 2.0 and merged["wall_seconds"] == 165.0


def test_every_part_runs_in_both_precisions_and_the_table_has_each_ratio(bench):
    # bfloat16 runs (emulated, slowly) on CPUs without bfloat16 instructions too
    results = {}
    for name in bench.PARTS:
        if name.startswith("conv") or name == "sweep_fused_bf16":
            continue  # covered by the model tests, and by the fidelity part's bf16 sweep
        results[name] = {**bench.PARTS[name](), "peak_rss_gb": 1.0}
    results["fidelity"]["summary"] = bench.fidelity_summary(results["fidelity"])
    for name, r in results.items():
        if "flops" in r:  # (a sweep's per-epoch cost on 640 images is within timing noise)
            assert r["flops"] > 0 and r.get("setup_seconds", r["seconds"]) > 0, name
    assert set(results["fidelity"]["tables"]) == {"float32", bench.BF16}
    cpu = {"model": "test CPU", "flags": ["avx2"]}
    table = bench.report(results, cpu)
    # dense project vs baseline, bf16 vs float32 dense, fused vs sequential, and the
    # fused speed-up the matmul rates allow
    assert len(re.findall(r"\d\.\d\dx", table)) == 4
    assert re.search(r"if the large products alone decided: \d\.\d\dx", table)
    assert "test CPU (avx2)" in table and "bfloat16 fidelity" in table
    for name in bench.NEEDS_BF16:
        results.pop(name, None)
    assert "not supported on this CPU" in bench.report(results, cpu)
