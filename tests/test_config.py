import pytest

from vae_helpers import quick_mode


@pytest.mark.parametrize("env, expected", [
    ({}, False),
    ({"CI": "true"}, True),
    ({"CI": "false"}, False),
    ({"VAE_QUICK": "1"}, True),
    ({"VAE_QUICK": "0", "CI": "true"}, False),
    ({"VAE_QUICK": "yes"}, True),
])
def test_quick_mode_reads_environment(monkeypatch, env, expected):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("VAE_QUICK", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert quick_mode() is expected
