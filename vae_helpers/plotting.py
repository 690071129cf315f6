"""Every figure of the series, each a short function returning a matplotlib Figure."""

import matplotlib.pyplot as plt
import numpy as np

from .prediction import encode, predict_in_chunks
from .schedules import Schedule, schedule_values
from .validation import (check_callable, check_decoder, check_image_batch, check_keys,
                         check_labels, check_latent_points, check_list, check_mapping,
                         check_models_by_c, check_number, check_same_shape, check_size,
                         check_values)

DIGIT_CMAP = "tab10"
# Every figure is at most this wide (inches): 680 px at the inline backend's 100 dpi, so it
# is shown unscaled in the course site's content column (about 690 px) and in JupyterLab.
WIDTH = 6.8


def _axes(ax, figsize):
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize)
        return fig, ax
    return ax.figure, ax


def standard_normal_samples(n=5000, seed=0):
    """``n`` samples of the 2-D standard normal N(0, I)."""
    return np.random.default_rng(seed).standard_normal((n, 2))


def plot_standard_normal(samples, ax=None, extent=4.0, title="Samples of N(0, I) in 2-D"):
    """Scatter of 2-D samples with the contours of the N(0, I) density.

    The contours are drawn at radii 1, 2 and 3, the circles that hold about
    39%, 86% and 99% of the probability mass.
    """
    samples = check_latent_points(samples, 2, "samples")
    extent = check_number("extent", extent, low_inclusive=False)
    fig, ax = _axes(ax, (6, 6))
    ax.scatter(samples[:, 0], samples[:, 1], s=3, alpha=0.35, color="tab:blue",
               label=f"{len(samples):,} samples")
    grid = np.linspace(-extent, extent, 201)
    gx, gy = np.meshgrid(grid, grid)
    density = np.exp(-0.5 * (gx ** 2 + gy ** 2)) / (2 * np.pi)
    levels = np.exp(-0.5 * np.array([3.0, 2.0, 1.0]) ** 2) / (2 * np.pi)
    contours = ax.contour(gx, gy, density, levels=levels, colors="black", linewidths=1)
    ax.clabel(contours, fmt={lv: f"r={r}" for lv, r in zip(levels, (3, 2, 1))}, fontsize=8)
    _latent_axes(ax, extent, title)
    ax.legend(loc="upper right")
    return fig


def plot_radius_distribution(samples, radius=2.0, ax=None):
    """Histogram of the distance ||z|| of 2-D samples from the origin beside the
    chi density with 2 degrees of freedom, r exp(-r^2 / 2), which it follows
    for N(0, I); the shaded part is the mass within ``radius``."""
    r = np.linalg.norm(check_latent_points(samples, 2, "samples"), axis=1)
    radius = check_number("radius", radius)
    fig, ax = _axes(ax, (6, 3.5))
    ax.hist(r, bins=60, range=(0, 4.5), density=True, alpha=0.5, label="samples")
    grid = np.linspace(0, 4.5, 300)
    chi = grid * np.exp(-grid ** 2 / 2)
    ax.plot(grid, chi, color="black", label="chi, 2 degrees of freedom")
    inside = grid <= radius
    mass = 1 - np.exp(-radius ** 2 / 2)
    ax.fill_between(grid[inside], chi[inside], alpha=0.2, color="black",
                    label=f"P(r < {radius:g}) = {mass:.3f}")
    ax.set_xlabel("distance from the origin r = ||z||")
    ax.set_ylabel("density")
    ax.legend()
    return fig


def plot_gaussian_vs_prior(mean, std, ax=None):
    """The 1-D densities of q = N(mean, std^2) and the prior N(0, 1), with
    KL(q || p) in the title (nats)."""
    from .losses import kl_standard_normal

    mean = check_number("mean", mean, low=-np.inf)
    std = check_number("std", std, low_inclusive=False)
    kl = float(np.asarray(kl_standard_normal(np.array([[mean]]), np.log([[std ** 2]])))[0]) + 0.0
    fig, ax = _axes(ax, (6, 3.5))
    grid = np.linspace(-5, 5, 500)
    for m, s, label, color in ((0.0, 1.0, "prior p(z) = N(0, 1)", "black"),
                               (mean, std, f"q(z) = N({mean:.2f}, {std:.2f}²)", "tab:red")):
        ax.plot(grid, np.exp(-0.5 * ((grid - m) / s) ** 2) / (s * np.sqrt(2 * np.pi)),
                color=color, label=label)
    ax.set_xlabel("z")
    ax.set_ylabel("density")
    ax.set_title(f"KL(q || p) = {kl:.3f} nats")
    ax.legend(loc="upper left")
    return fig


def plot_digit_grid(images, columns=8, image_shape=(28, 28), title=None, size=0.8):
    """Images (e.g. decoded samples from the prior) tiled in rows of ``columns``, each
    ``size`` inches wide (less where the row would be wider than ``WIDTH``)."""
    images = check_image_batch(images, image_shape)
    rows = int(np.ceil(len(images) / check_size("columns", columns)))
    size = min(check_number("size", size, low_inclusive=False), WIDTH / columns)
    fig, axes = plt.subplots(rows, columns, figsize=(size * columns, size * rows + 0.4),
                             squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, image in zip(axes.ravel(), images):
        ax.imshow(image, cmap="Greys_r", vmin=0, vmax=1)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def _latent_axes(ax, extent, title):
    ax.set_xlim(-extent, extent)
    ax.set_ylim(-extent, extent)
    ax.set_aspect("equal")
    ax.set_xlabel("z[0]")
    ax.set_ylabel("z[1]")
    ax.set_title(title)


def plot_latent_scatter(z_mean, labels, ax=None, extent=None, title="Encoder means by digit",
                        colorbar=True):
    """Encoder means of a data set in 2-D, coloured by digit label."""
    z_mean = check_latent_points(z_mean, 2, "z_mean")
    labels = check_labels(labels, len(z_mean), "labels")
    fig, ax = _axes(ax, (7, 6))
    points = ax.scatter(z_mean[:, 0], z_mean[:, 1], c=labels, cmap=DIGIT_CMAP, s=4,
                        vmin=-0.5, vmax=9.5)
    extent = (max(1.0, float(np.ceil(np.abs(z_mean).max()))) if extent is None
              else check_number("extent", extent, low_inclusive=False))
    _latent_axes(ax, extent, title)
    if colorbar:
        fig.colorbar(points, ax=ax, ticks=range(10), label="digit")
    return fig


def decode_grid(decoder, n=30, extent=3.0, image_shape=(28, 28)):
    """Decode an n x n grid of latent points over [-extent, extent]^2 in one batch.

    Returns ``(image, grid)``: the tiled (n*h, n*w) image, top row at
    z[1] = +extent, and the 1-D grid of coordinates.
    """
    n = check_size("n", n)
    extent = check_number("extent", extent, low_inclusive=False)
    check_decoder(decoder, latent_dim=2)
    grid = np.linspace(-extent, extent, n)
    zx, zy = np.meshgrid(grid, grid[::-1])
    z = np.stack([zx.ravel(), zy.ravel()], axis=1).astype("float32")
    digits = check_image_batch(predict_in_chunks(decoder, z), image_shape, "the decoder's output")
    h, w = image_shape
    tiles = digits.reshape(n, n, h, w).transpose(0, 2, 1, 3).reshape(n * h, n * w)
    return tiles, grid


def plot_manifold(decoder, n=30, extent=3.0, ax=None, title="Decoded latent grid"):
    """The decoder's images over an n x n grid of the 2-D latent space."""
    tiles, grid = decode_grid(decoder, n, extent)
    fig, ax = _axes(ax, (7, 7))
    ax.imshow(tiles, cmap="Greys_r", extent=(-extent, extent, -extent, extent))
    ax.set_xlabel("z[0]")
    ax.set_ylabel("z[1]")
    ax.set_title(title)
    return fig


def plot_history(history, terms=("loss", "reconstruction", "kl")):
    """Training (and validation) curves, one panel per loss term."""
    terms = check_list("terms", terms, "logged term")
    logs = check_keys("history", getattr(history, "history", history), terms)
    fig, axes = _panel_grid(len(terms), columns=2, height=2.9)
    for ax, term in zip(axes, terms):
        epochs = np.arange(1, len(logs[term]) + 1)
        ax.plot(epochs, logs[term], marker=".", label="train")
        if f"val_{term}" in logs:
            ax.plot(epochs, logs[f"val_{term}"], marker=".", label="validation")
        ax.set_xlabel("epoch")
        ax.set_ylabel("per image")   # nats for the KL; a cross-entropy on grey pixels
        ax.set_title(term)
    _shared_legend(axes, len(terms))
    fig.tight_layout()
    return fig


def plot_reconstructions(originals, reconstructions, n=10, image_shape=(28, 28)):
    """Originals (top row) above their reconstructions (bottom row)."""
    originals = check_image_batch(originals, image_shape, "originals")
    reconstructions = check_image_batch(reconstructions, image_shape, "reconstructions")
    check_same_shape(originals=originals, reconstructions=reconstructions)
    n = min(check_size("n", n), len(originals))
    fig, axes = plt.subplots(2, n, figsize=(min(WIDTH, 0.62 * n + 0.4), 1.75), squeeze=False)
    for i in range(n):
        for row, images in enumerate((originals, reconstructions)):
            axes[row, i].imshow(images[i], cmap="Greys_r", vmin=0, vmax=1)
            axes[row, i].axis("off")
    axes[0, 0].set_title("original", loc="left", fontsize=9)
    axes[1, 0].set_title("reconstruction", loc="left", fontsize=9)
    fig.tight_layout()
    return fig


def _panel_grid(n_panels, columns=2, height=None):
    """Panels in rows of ``columns`` across the figure width ``WIDTH`` (square panels
    unless ``height`` is given); the panels left over are hidden."""
    columns = min(columns, n_panels)
    rows = int(np.ceil(n_panels / columns))
    height = WIDTH / columns if height is None else height
    fig, axes = plt.subplots(rows, columns, figsize=(WIDTH, height * rows), squeeze=False)
    for ax in axes.ravel()[n_panels:]:
        ax.axis("off")
    return fig, axes.ravel()


def _shared_legend(axes, n_used, **kwargs):
    """One legend for panels that share their lines: in the first panel left empty by
    the grid, away from every curve, or else on the first panel."""
    handles, labels = axes[0].get_legend_handles_labels()
    if len(axes) > n_used:
        axes[n_used].legend(handles, labels, loc="center", frameon=False, **kwargs)
    else:
        axes[0].legend(handles, labels, **kwargs)


def plot_sweep_scatters(models_by_c, x, labels, extent=4.0, columns=2):
    """One latent scatter per KL coefficient (``{c: model}``) with one digit colour
    bar. Each panel shows at least [-extent, extent]^2 and widens to hold every
    point; the dashed circle r = 2 holds 86.5% of N(0, I) in every panel."""
    fig, axes = _panel_grid(len(check_models_by_c(models_by_c)), columns)
    for ax, (c, model) in zip(axes, models_by_c.items()):
        z_mean, _ = encode(model, x)
        lim = max(extent, float(np.ceil(np.abs(z_mean).max())))
        plot_latent_scatter(z_mean, labels, ax=ax, extent=lim, colorbar=False,
                            title=f"c = {c:g}")
        points = ax.collections[0]
        ax.add_patch(plt.Circle((0, 0), 2.0, fill=False, ls="--", color="black", lw=0.8))
    fig.tight_layout()
    fig.colorbar(points, ax=list(axes), ticks=range(10), label="digit", shrink=0.6)
    return fig


def plot_sweep_manifolds(models_by_c, n=12, extent=3.0, columns=2):
    """One decoded latent grid over [-extent, extent]^2 per KL coefficient."""
    fig, axes = _panel_grid(len(check_models_by_c(models_by_c)), columns)
    for ax, (c, model) in zip(axes, models_by_c.items()):
        plot_manifold(model.decoder, n=n, extent=extent, ax=ax, title=f"c = {c:g}")
    fig.tight_layout()
    return fig


def plot_sweep_prior_samples(models_by_c, n=36, seed=0, columns=2):
    """For each KL coefficient, ``n`` digits decoded from the same draws z ~ N(0, I)."""
    from .prediction import decode, latent_dim

    fig, axes = _panel_grid(len(check_models_by_c(models_by_c)), columns)
    side = int(np.ceil(np.sqrt(check_size("n", n))))
    for ax, (c, model) in zip(axes, models_by_c.items()):
        z = np.random.default_rng(seed).standard_normal((side * side, latent_dim(model)))
        digits = decode(model, z).reshape(side, side, 28, 28)
        ax.imshow(digits.transpose(0, 2, 1, 3).reshape(side * 28, side * 28), cmap="Greys_r",
                  vmin=0, vmax=1)
        ax.set_title(f"c = {c:g}")
        ax.axis("off")
    fig.tight_layout()
    return fig


def plot_rate_distortion(table, reference=None, reference_label="source article"):
    """Rate (test KL, nats per image) against distortion (test reconstruction term per image)
    on linear axes, one labelled point per c, as in Alemi et al. (2018, Fig. 1).

    A model trained with coefficient c minimises D + c R, so its point is where a line of
    slope -1/c touches the curve: that line is drawn (dotted) through each point, and the
    line of equal D + R (the c = 1 objective) through the c = 1 point (dashed). When the rates at
    c = 0 lie far above the rest they get an upper panel with its own scale (the axis is
    broken). ``reference``: another table with the same columns (e.g. the source
    article's), drawn in grey."""
    sets = [(check_keys("table", table, ("c", "test_kl", "test_reconstruction")), True)]
    if reference is not None:
        sets.append((check_keys("reference", reference, ("c", "test_kl", "test_reconstruction")),
                     False))
    points = [(np.asarray(t["c"], float), np.asarray(t["test_kl"], float),
               np.asarray(t["test_reconstruction"], float), ours) for t, ours in sets]
    c_all, rate_all, distortion_all = (np.concatenate([p[i] for p in points]) for i in range(3))
    lower = rate_all[c_all > 0]
    broken = bool(lower.size and (c_all == 0).any() and rate_all[c_all == 0].min() > 1.5 * lower.max())
    if broken:
        fig, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(WIDTH, 6.6),
                                          gridspec_kw={"height_ratios": [1, 3], "hspace": 0.08})
        panels = [top, bottom]
    else:
        fig, bottom = plt.subplots(figsize=(WIDTH, 5.2))
        top, panels = bottom, [bottom]
    span = distortion_all.max() - distortion_all.min() or 1.0
    x_limits = (distortion_all.min() - 0.12 * span, distortion_all.max() + 0.12 * span)
    y_limits = {bottom: (0, 1.12 * (lower.max() if broken else rate_all.max()))}
    if broken:
        high = rate_all[c_all == 0]
        pad = 0.15 * max(high.max() - high.min(), 0.5 * high.min())
        y_limits[top] = (max(high.min() - pad, y_limits[bottom][1]), high.max() + pad)
    for c, rate, distortion, ours in points:
        colour = "tab:blue" if ours else "grey"
        for ax in panels:
            ax.plot(distortion, rate, "o-" if ours else "s--", color=colour, ms=5, lw=1,
                    label=("this run" if ours else reference_label) if ax is bottom else None)
        for i, (ci, r, d) in enumerate(zip(c, rate, distortion)):
            ax = top if broken and ci == 0 else bottom
            right = (i % 2 == 0) == ours   # alternate sides; the reference mirrors ours
            ax.annotate(f"c={ci:g}", (d, r), textcoords="offset points",
                        xytext=(7, 2) if right else (-7, 2), ha="left" if right else "right",
                        fontsize=9, color="black" if ours else "dimgrey")
            if ours:
                _touching_line(ax, ci, d, r, x_limits, y_limits[ax], colour)
    one = np.flatnonzero(points[0][0] == 1)
    if one.size:
        r1, d1 = points[0][1][one[0]], points[0][2][one[0]]
        line = np.array(x_limits)
        bottom.plot(line, d1 + r1 - line, "--", color="black", lw=1,
                    label=f"equal objective at c = 1 through its point: D + R = {d1 + r1:.1f}")
    bottom.plot([], [], ":", color="tab:blue", lw=1, label="slope -1/c through each point")
    for ax in panels:
        ax.set_ylim(*y_limits[ax])
    bottom.set_xlim(*x_limits)
    if broken:
        top.spines["bottom"].set_visible(False)
        bottom.spines["top"].set_visible(False)
        top.tick_params(bottom=False)
        for ax, y in ((top, 0), (bottom, 1)):  # the break marks
            ax.plot([0, 1], [y, y], transform=ax.transAxes, ls=(0, (4, 3)), color="black",
                    lw=0.8, clip_on=False)
    top.set_title("rate against distortion across KL coefficients"
                  + (" (axis broken: c = 0 above)" if broken else ""))
    bottom.set_xlabel("distortion D: test reconstruction term (per image; a cross-entropy on grey pixels)")
    bottom.set_ylabel("rate R: test KL (nats per image)")
    # below the axes, where it hides no point
    bottom.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), fontsize=9, frameon=False)
    return fig


def _touching_line(ax, c, distortion, rate, x_limits, y_limits, colour, length=0.1):
    """A short segment of the line D + c R = constant through (D, R): slope -1/c in this
    plane (vertical for c = 0), ``length`` of the axes long whatever the axes' scales."""
    if c == 0:
        ax.axvline(distortion, ls=":", color=colour, lw=1)
        return
    dx, dy = x_limits[1] - x_limits[0], y_limits[1] - y_limits[0]
    t = length / np.hypot(1 / dx, 1 / (c * dy))
    ax.plot([distortion - t, distortion + t], [rate + t / c, rate - t / c], ":", color=colour, lw=1)


def plot_schedules(schedules, n, unit="epoch", ax=None):
    """beta(t) for t = 0 .. n-1 for each ``{name: schedule}``."""
    check_mapping("schedules", schedules, "a dict {name: schedule}")
    values = {name: schedule_values(check_callable(f"schedules[{name!r}]", schedule,
                                                   "LinearWarmup()", n_args=1), n)
              for name, schedule in schedules.items()}
    fig, ax = _axes(ax, (WIDTH, 3.2))
    for name, schedule in schedules.items():
        label = f"{name}: {schedule!r}" if isinstance(schedule, Schedule) else str(name)
        ax.plot(np.arange(n), values[name], label=label)
    ax.set_xlabel(unit)
    ax.set_ylabel("beta (KL weight)")
    # below the axes, outside the curves
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(0, -0.22), ncol=1, frameon=False)
    ax.set_title("KL-weight schedules")
    return fig


def plot_schedule_histories(histories, terms=("beta", "kl", "reconstruction"), log_terms=("kl",),
                            reconstruction_unit="nats per image"):
    """One panel per term (beta, KL, reconstruction), one line per ``{name: history}``;
    ``log_terms`` get a logarithmic axis (the KL spans orders of magnitude)."""
    units = {"beta": "KL weight", "kl": "nats per image", "reconstruction": reconstruction_unit,
             "loss": reconstruction_unit}
    terms = check_list("terms", terms, "logged term")
    check_mapping("histories", histories, "a dict {name: history}")
    logs_by_name = {name: check_keys(f"histories[{name!r}]", getattr(history, "history", history),
                                     terms) for name, history in histories.items()}
    fig, axes = _panel_grid(len(terms), columns=2, height=2.9)
    for ax, term in zip(axes, terms):
        for name, logs in logs_by_name.items():
            ax.plot(np.arange(len(logs[term])), logs[term], label=name)
        if term in log_terms:
            ax.set_yscale("log")
        ax.set_xlabel("epoch (from 0, as the schedules count)")
        ax.set_ylabel(units.get(term, "") + (" (log scale)" if term in log_terms else ""))
        ax.set_title(term)
    _shared_legend(axes, len(terms), fontsize=9)
    fig.tight_layout()
    return fig


def plot_kl_per_dimension(kl_by_name, threshold=None):
    """Bars of the KL of each latent dimension (sorted), one panel per ``{name: kl}``."""
    check_mapping("kl_by_name", kl_by_name, "a dict {name: KL per latent dimension}")
    for name, kl in kl_by_name.items():
        check_values(f"kl_by_name[{name!r}]", kl)
    if threshold is not None:
        threshold = check_number("threshold", threshold)
    fig, axes = _panel_grid(len(kl_by_name), columns=2, height=2.6)
    for ax, (name, kl) in zip(axes, kl_by_name.items()):
        kl = np.sort(np.asarray(kl))[::-1]
        ax.bar(np.arange(len(kl)), kl, color="tab:blue")
        if threshold is not None:
            ax.axhline(threshold, color="grey", lw=0.8, ls="--")
        ax.set_xlabel("latent dimension (sorted)")
        ax.set_ylabel("KL (nats per image)")
        ax.set_title(name)
    top = max(ax.get_ylim()[1] for ax in axes[:len(kl_by_name)])
    for ax in axes:   # one scale for every panel, so their bars compare
        ax.set_ylim(0, top)
    fig.tight_layout()
    return fig


def plot_pruning(predicted, measured, counts, threshold):
    """Dimensions switched off by the objective, against the pixel variance sigma^2.

    Left: for each sigma^2, the per-dimension KL (sorted) that probabilistic PCA predicts
    (``predicted``: ``{sigma2: kl}``, lines) beside a trained model's (``measured``, dots).
    Right: ``counts`` (``{label: {sigma2: number of dimensions with KL > threshold}}``)."""
    check_mapping("predicted", predicted, "a dict {sigma2: KL per dimension}")
    check_mapping("measured", measured, "a dict {sigma2: KL per dimension}")
    check_mapping("counts", counts, "a dict {label: {sigma2: count}}")
    threshold = check_number("threshold", threshold)
    fig, (left, right) = plt.subplots(2, 1, figsize=(WIDTH, 7.4))
    colours = plt.cm.viridis(np.linspace(0, 0.85, len(predicted)))
    for colour, (sigma2, kl) in zip(colours, predicted.items()):
        rank = np.arange(1, len(kl) + 1)
        left.plot(rank, np.sort(check_values(f"predicted[{sigma2!r}]", kl))[::-1], "-",
                  color=colour, label=f"σ² = {sigma2:g}: probabilistic PCA")
        if sigma2 in measured:
            left.plot(rank, np.sort(check_values(f"measured[{sigma2!r}]", measured[sigma2]))[::-1],
                      "o", color=colour, ms=4, label=f"σ² = {sigma2:g}: trained linear VAE")
    left.axhline(threshold, color="grey", lw=0.8, ls="--")
    left.set_xlabel("latent dimension (sorted by KL)")
    left.set_ylabel("KL (nats per image)")
    left.set_title("per-dimension KL: closed form against training")
    left.legend(fontsize=7, ncol=2)
    for marker, (label, by_sigma2) in zip("sod^v", counts.items()):
        check_mapping(f"counts[{label!r}]", by_sigma2, "a dict {sigma2: count}")
        sigma2s = sorted(by_sigma2)
        right.plot(sigma2s, [by_sigma2[s] for s in sigma2s], marker + "-", label=label)
    right.set_xscale("log", base=2)
    right.set_xlabel("pixel variance σ² of the Gaussian decoder (β = 2σ²)")
    right.set_ylabel(f"dimensions with KL > {threshold:g} nats")
    right.set_title(f"dimensions with KL > {threshold:g} nats")
    right.legend(fontsize=8)
    fig.tight_layout()
    return fig
