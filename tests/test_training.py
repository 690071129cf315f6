import numpy as np

from vae_helpers import models, training


def test_array_dataset_gives_every_image_once_per_epoch_in_a_new_order():
    x = np.arange(10, dtype="float32")[:, None] * np.ones((1, 3), "float32")
    dataset = training.array_dataset(x, batch_size=4, shuffle=True)
    epochs = [np.concatenate([b.numpy() for b in dataset]) for _ in range(2)]
    assert [len(b) for b in dataset] == [4, 4, 2]   # the last batch is kept
    for epoch in epochs:
        assert sorted(epoch[:, 0]) == list(range(10))
    assert not np.array_equal(epochs[0], epochs[1])   # reshuffled each epoch
    ordered = np.concatenate([b.numpy() for b in training.array_dataset(x, 4, shuffle=False)])
    np.testing.assert_array_equal(ordered, x)


def test_compile_defaults_use_xla_for_dense_models_only():
    assert training.compile_defaults(models.dense_vae(hidden_units=8)) == (32, True)
    assert training.compile_defaults(models.conv_vae()) == (32, "auto")
    assert training.compile_defaults(models.conv_vae(), 1, False) == (1, False)


def test_fit_uses_the_defaults_and_per_step_callbacks_still_see_every_step(unit_images):
    from vae_helpers.schedules import KLScheduler

    model = models.dense_vae(hidden_units=8)
    model.compile(optimizer="adam")
    assert model.steps_per_execution == 32 and model.jit_compile
    seen = []
    model.fit(unit_images, epochs=1, batch_size=2, verbose=0,
              callbacks=[KLScheduler(lambda t: seen.append(t) or 1.0, per="step")])
    assert seen == [0, 1, 2, 3]
    assert model.steps_per_execution == 32   # restored after the fit


def test_device_report_is_one_line_naming_backend_and_device():
    line = training.device_report()
    assert "\n" not in line and line.startswith("tensorflow ")
    assert " on CPU " in line or " on GPU: " in line
