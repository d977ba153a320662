"""Write trajectories_data.csv, the dataset shared with R flexmix (run once; seeded).

300 persons observed at times 1..10 (about 5% of person-times missing), three latent
groups with quadratic trajectories. ``count`` is Poisson; ``successes`` is binomial out of
4 trials. Run from this folder: ``python make_data.py``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

rng = np.random.default_rng(20)
n, times = 300, np.arange(1, 11)
s = (times - 5.5) / 4.5
x = np.vstack([np.ones_like(s), s, s**2])
group = rng.choice(3, size=n, p=[0.5, 0.3, 0.2])
log_rate = np.array([[-1.0, 0.3, 0.0], [0.7, 0.8, -0.5], [1.5, -0.8, 0.3]])
logit = np.array([[-2.0, 0.5, 0.0], [0.0, 1.5, -0.5], [1.5, -1.0, 0.5]])
count = rng.poisson(np.exp(log_rate[group] @ x))
successes = rng.binomial(4, 1 / (1 + np.exp(-(logit[group] @ x))))
frame = pd.DataFrame(
    {
        "id": np.repeat(np.arange(1, n + 1), len(times)),
        "time": np.tile(times, n),
        "count": count.ravel(),
        "successes": successes.ravel(),
        "true_group": np.repeat(group + 1, len(times)),
    }
)
frame = frame[rng.random(len(frame)) > 0.05]
frame.to_csv("trajectories_data.csv", index=False)
