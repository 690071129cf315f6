"""Checks with readable messages, for notebooks and students' own solutions."""

import math


def monte_carlo_z(label, estimate, standard_error, exact):
    """Print a Monte Carlo estimate beside the exact value and return |difference| / SE.

    The series' tolerance policy: every Monte Carlo comparison uses a fixed
    seed and passes when this z-score is at most 4 (a chance failure rate
    under 1 in 10,000 for an unbiased estimator).
    """
    if not standard_error > 0 or not math.isfinite(standard_error):
        raise ValueError(f"standard_error must be a positive number, got {standard_error!r}.")
    z = abs(estimate - exact) / standard_error
    print(f"{label}: Monte Carlo {estimate:.4f} ± {standard_error:.4f} (1 SE), exact {exact:.4f}, "
          f"|difference| = {z:.1f} SE (tolerance 4 SE)")
    return z
