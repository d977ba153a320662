"""Standard normal draws identical to R's ``set.seed(seed); rnorm(n)`` (defaults:
Mersenne-Twister, Inversion), so that tests can reproduce simulated critical values of R
packages. Written from R's documentation (``?RNGkind``, ``?set.seed``): ``set.seed`` scrambles
the seed with the linear congruential map ``s -> 69069 s + 1`` (mod 2^32), 50 times, then fills
the 624-word Mersenne-Twister state with the next 625 values (the first is the position);
``unif_rand`` is the tempered 32-bit output times 2^-32; ``norm_rand`` by inversion uses two
uniforms, ``u = (floor(2^27 u1) + u2) / 2^27``, and returns ``qnorm(u)``.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy.special import ndtri

_LCG = 69069
_MASK = 0xFFFFFFFF
_BIG = 134217728  # 2^27
_STATE = 624


def r_uniforms(seed: int, n: int) -> npt.NDArray[np.float64]:
    """``set.seed(seed); runif(n)``."""
    s = seed & _MASK
    for _ in range(50):
        s = (_LCG * s + 1) & _MASK
    words = []
    for _ in range(_STATE + 1):
        s = (_LCG * s + 1) & _MASK
        words.append(s)
    bitgen = np.random.MT19937(0)
    bitgen.state = {
        "bit_generator": "MT19937",
        "state": {"key": np.array(words[1:], dtype=np.uint32), "pos": _STATE},
    }
    raw = bitgen.random_raw(n).astype(np.float64) * 2.3283064365386963e-10
    tiny = 0.5 * 2.328306437080797e-10
    return np.clip(raw, tiny, 1 - tiny)


def r_normals(seed: int, n: int) -> npt.NDArray[np.float64]:
    """``set.seed(seed); rnorm(n)``."""
    u = r_uniforms(seed, 2 * n).reshape(n, 2)
    return np.asarray(ndtri((np.floor(_BIG * u[:, 0]) + u[:, 1]) / _BIG), dtype=np.float64)


def r_normal_matrix(rows: int, cols: int, seed: int = 0) -> npt.NDArray[np.float64]:
    """``set.seed(seed); matrix(rnorm(rows * cols), rows, byrow = TRUE)``."""
    return r_normals(seed, rows * cols).reshape(rows, cols)
