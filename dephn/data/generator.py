"""A seeded generator of Criteo-format data with a learnable click (the embedded default).

The file is Criteo's Kaggle TSV exactly (docs/decisions.md#data-formats): `label, I1..I13, C1..C26`,
no header, empty = missing, categories as 8-hex-digit strings. Its marginals follow what the real
8,000-row sample shows (shared/data/criteo, measured): missing rates per field with the sample's
co-missing groups (I1 and I10 at 45%, I12 at 78%, C19/C20/C25/C26 together at 45%, C22 at 82%,
...); dense counts log-normal with each field's sample median and 90th percentile, I2 with about
10% small negative values, fields sharing a latent activity factor; categories Zipf-like (a
bounded power law whose exponent is solved so the top category has the sample's share),
cardinalities Kaggle's, capped at 10^5. The click follows a hidden logit
    s = b + k * (sum_f w_f[c_f] + sum_(f,g) <u_f[c_f], v_g[c_g]> + sum_d beta_d x_d
                 + alpha x_1 x_2) + noise:
per-category effects of a dozen fields, low-rank pairwise field interactions (what FM / cross /
FINT layers can learn), dense effects with one interaction, Gaussian noise; k scales the signal to
a fixed spread and b is solved for a click rate of 0.24, both on a calibration sample. Rows come
in fixed blocks of `BLOCK_ROWS`, block i from the random stream (seed, 1, i), so the same seed
always writes the same bytes; `stream` s > 0 draws other rows of the same world from (seed, 1, i, s)
(the teacher's and the fresh evaluation rows of Criteo-R/UR).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv

from ..errors import DephnError
from .readers.criteo import CRITEO_DENSE, CRITEO_SPARSE

GENERATOR_VERSION = 1   # bump when the bytes a seed produces change
BLOCK_ROWS = 250_000
CLICK_RATE = 0.24
SIGNAL_STD = 1.6        # spread of the hidden logit before noise (sets how learnable the click is)
NOISE_STD = 0.5

# cardinalities of C1..C26: the counts commonly reported for the full Kaggle train.txt, capped at 10^5
CARDINALITY = (1460, 583, 100_000, 100_000, 305, 24, 12517, 633, 3, 93145, 5683, 100_000, 3194,
               27, 14992, 100_000, 10, 5652, 2173, 4, 100_000, 18, 15, 100_000, 105, 100_000)
# share of the most frequent category among non-missing values, from the sample
TOP_SHARE = (0.50, 0.12, 0.05, 0.078, 0.67, 0.53, 0.011, 0.60, 0.89, 0.28, 0.02, 0.05, 0.022,
             0.36, 0.02, 0.05, 0.43, 0.051, 0.60, 0.36, 0.05, 0.52, 0.45, 0.08, 0.33, 0.086)
# dense fields: (median, 90th percentile) of the non-missing values in the sample
DENSE_QUANTILES = ((1, 8), (3, 188), (7, 51), (4, 20), (2792, 32520), (41, 341), (3, 30), (7, 34),
                   (42, 311), (0, 1), (1, 5), (0, 2), (5, 27))
I2_NEGATIVE = 0.10
# co-missing groups: fields that are missing together in the sample, and how often
MISSING_GROUPS = (
    (("I1", "I10"), 0.45), (("I3", "I4", "I13"), 0.20), (("I5", "I7", "I9", "I11"), 0.05),
    (("I6",), 0.25), (("I8",), 0.001), (("I12",), 0.78),
    (("C3", "C4", "C12", "C16", "C21", "C24"), 0.033), (("C6",), 0.13),
    (("C19", "C20", "C25", "C26"), 0.45), (("C22",), 0.82),
)
# what drives the click: fields with per-category effects (and their effect std),
# field pairs with low-rank interactions, dense fields with linear effects
# (mostly fields whose frequent categories carry the mass, so 50k rows can learn them:
# a teacher MLP reaches a holdout AUC of about 0.71 on the 50k-row default, 0.64 on 8k rows)
MAIN_EFFECTS = {"C1": 0.6, "C2": 0.5, "C5": 0.5, "C6": 0.4, "C8": 0.4, "C9": 0.3, "C10": 0.3,
                "C14": 0.4, "C17": 0.4, "C20": 0.3, "C23": 0.4, "C25": 0.4, "C3": 0.2}
PAIRS = (("C1", "C2"), ("C5", "C8"), ("C6", "C14"), ("C17", "C23"), ("C20", "C25"))
PAIR_RANK = 4
DENSE_EFFECT_STD = 0.5


@dataclass
class _World:
    """Everything fixed by the seed: vocabularies, frequencies and effects."""

    vocab: list[pa.Array]            # per C field, its category strings
    exponent: np.ndarray             # (26,) power-law exponent per C field
    main: dict[str, np.ndarray]      # field -> (K,) effect per category
    pair_u: dict[tuple, np.ndarray]  # (f, g) -> (K_f, r) factors of f
    pair_v: dict[tuple, np.ndarray]  # (f, g) -> (K_g, r) factors of g
    beta: np.ndarray                 # (13,) dense effects
    alpha: float                     # effect of the I1 x I2 interaction
    x_mean: np.ndarray | None = None  # (13,) standardisation of transformed dense values
    x_std: np.ndarray | None = None   # (13,)
    scale: float = 1.0               # k: signal spread correction
    bias: float = 0.0                # b: sets the click rate


def generate_criteo(rows: int, seed: int = 0, stream: int = 0) -> Iterator[tuple[pa.Table, np.ndarray]]:
    """Blocks of (Criteo table in raw types, hidden click logit (n,)) totalling `rows` rows of
    world `seed`, drawn from row stream `stream`."""
    if rows < 1:
        raise DephnError(f"rows must be >= 1, got {rows}")
    if seed < 0:
        raise DephnError(f"seed must be >= 0, got {seed}")
    world = _make_world(seed)
    for b, start in enumerate(range(0, rows, BLOCK_ROWS)):
        n = min(BLOCK_ROWS, rows - start)
        yield _block(world, np.random.default_rng([seed, 1, b] + ([stream] if stream else [])), n)


def write_criteo(path, rows: int, seed: int = 0, stream: int = 0) -> dict:
    """Write a generated Criteo TSV to `path`; return a short summary (rows, click rate, bytes)."""
    path = Path(path)
    t0 = time.perf_counter()
    clicks = 0
    options = pcsv.WriteOptions(include_header=False, delimiter="\t", quoting_style="none")
    writer = None
    try:
        for table, _ in generate_criteo(rows, seed, stream):
            if writer is None:
                writer = pcsv.CSVWriter(path, table.schema, write_options=options)
            writer.write_table(table)
            clicks += int(np.asarray(table.column("label")).sum())
    finally:
        if writer is not None:
            writer.close()
    return {"path": str(path), "rows": rows, "seed": seed, "click_rate": clicks / rows,
            "bytes": path.stat().st_size, "seconds": round(time.perf_counter() - t0, 3),
            "generator_version": GENERATOR_VERSION}


# --- the world ----------------------------------------------------------------
@lru_cache(maxsize=4)  # read-only once calibrated; a process generating several files builds it once
def _make_world(seed: int) -> _World:
    rng = np.random.default_rng([seed, 0])
    vocab = [_hex_vocabulary(rng, k) for k in CARDINALITY]
    exponent = np.array([_solve_exponent(k, s) for k, s in zip(CARDINALITY, TOP_SHARE)])
    card = dict(zip(CRITEO_SPARSE, CARDINALITY))
    main = {f: rng.normal(0.0, std, card[f]) for f, std in MAIN_EFFECTS.items()}
    pair_u, pair_v = {}, {}
    for f, g in PAIRS:  # each term <u, v> has std about 0.5
        pair_u[(f, g)] = rng.normal(0.0, 0.85 / PAIR_RANK ** 0.25, (card[f], PAIR_RANK))
        pair_v[(f, g)] = rng.normal(0.0, 0.85 / PAIR_RANK ** 0.25, (card[g], PAIR_RANK))
    world = _World(vocab=vocab, exponent=exponent, main=main, pair_u=pair_u, pair_v=pair_v,
                   beta=rng.normal(0.0, DENSE_EFFECT_STD, len(CRITEO_DENSE)), alpha=float(rng.normal(0.0, 0.3)))
    _calibrate(world, np.random.default_rng([seed, 2]))
    return world


def _hex_vocabulary(rng: np.random.Generator, k: int) -> pa.Array:
    """k distinct 8-hex-digit strings, as an arrow string array."""
    draws = rng.integers(0, 2 ** 32, size=k + k // 50 + 16, dtype=np.uint64)
    _, first = np.unique(draws, return_index=True)
    values = draws[np.sort(first)][:k].astype(np.uint32)                  # distinct, in draw order
    shifts = np.arange(28, -1, -4, dtype=np.uint32)
    nibbles = (values[:, None] >> shifts) & np.uint32(0xF)                # (k, 8)
    chars = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)[nibbles]   # (k, 8) ASCII codes
    offsets = np.arange(0, 8 * k + 1, 8, dtype=np.int32)
    return pa.StringArray.from_buffers(k, pa.py_buffer(offsets), pa.py_buffer(chars.tobytes()))


def _top_share(k: int, a: float) -> float:
    """P(category 0) under the bounded power law x in [1, k+1) with density ~ x^-a, floored."""
    if abs(a - 1.0) < 1e-9:
        return np.log(2.0) / np.log(k + 1.0)
    return (2.0 ** (1 - a) - 1) / ((k + 1.0) ** (1 - a) - 1)


def _solve_exponent(k: int, share: float) -> float:
    """Exponent whose top category has `share` (bisection; the share grows with the exponent)."""
    lo, hi = 1e-3, 20.0
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if _top_share(k, mid) < share else (lo, mid)
    return 0.5 * (lo + hi)


def _power_law(rng: np.random.Generator, k: int, a: float, n: int) -> np.ndarray:
    """(n,) category indices in [0, k) by inverse CDF of the bounded power law."""
    u = rng.random(n)
    if abs(a - 1.0) < 1e-9:
        x = (k + 1.0) ** u
    else:
        x = (1.0 + u * ((k + 1.0) ** (1 - a) - 1.0)) ** (1.0 / (1 - a))
    return np.minimum(np.floor(x).astype(np.int64) - 1, k - 1)


def _calibrate(world: _World, rng: np.random.Generator, n: int = 50_000):
    """Set the dense standardisation, k (signal spread) and b (click rate) on a calibration sample."""
    dense, cats = _features(world, rng, n)
    x = _dense_inputs(dense)
    world.x_mean, world.x_std = x.mean(axis=0), x.std(axis=0) + 1e-9
    signal = _signal(world, dense, cats)
    world.scale = SIGNAL_STD / float(signal.std())
    logit = world.scale * (signal - signal.mean()) + rng.normal(0.0, NOISE_STD, n)
    lo, hi = -10.0, 10.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        rate = float(np.mean(1.0 / (1.0 + np.exp(-(logit + mid)))))
        lo, hi = (mid, hi) if rate < CLICK_RATE else (lo, mid)
    world.bias = 0.5 * (lo + hi) - world.scale * float(signal.mean())


# --- rows ---------------------------------------------------------------------
def _features(world: _World, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """n rows of features: dense (n, 13) raw counts with NaN = missing, categories (n, 26) with -1 = missing."""
    missing = {}
    for fields, rate in MISSING_GROUPS:
        mask = rng.random(n) < rate
        missing.update({f: mask for f in fields})
    no = np.zeros(n, dtype=bool)

    activity = rng.standard_normal(n)                        # latent factor shared by dense fields
    dense = np.empty((n, len(CRITEO_DENSE)))                  # (n, 13)
    for j, (name, (median, p90)) in enumerate(zip(CRITEO_DENSE, DENSE_QUANTILES)):
        mu = np.log(median + 1.0)
        sigma = (np.log(p90 + 1.0) - mu) / 1.2816            # 1.2816 = standard normal 90th percentile
        z = 0.5 * activity + np.sqrt(0.75) * rng.standard_normal(n)
        values = np.maximum(np.rint(np.exp(mu + sigma * z)) - 1.0, 0.0)
        if name == "I2":
            negative = rng.random(n) < I2_NEGATIVE
            values = np.where(negative, -rng.integers(1, 3, n), values)
        dense[:, j] = np.where(missing.get(name, no), np.nan, values)

    cats = np.empty((n, len(CRITEO_SPARSE)), dtype=np.int64)  # (n, 26)
    for j, name in enumerate(CRITEO_SPARSE):
        idx = _power_law(rng, CARDINALITY[j], world.exponent[j], n)
        cats[:, j] = np.where(missing.get(name, no), -1, idx)
    return dense, cats


def _dense_inputs(dense: np.ndarray) -> np.ndarray:
    """The usual transform (sign-preserving log1p, missing -> 0), (n, 13)."""
    return np.nan_to_num(np.copysign(np.log1p(np.abs(dense)), dense), copy=False)


def _signal(world: _World, dense: np.ndarray, cats: np.ndarray) -> np.ndarray:
    """(n,) hidden signal before scale, bias and noise (see module doc)."""
    col = {name: j for j, name in enumerate(CRITEO_SPARSE)}
    signal = np.zeros(len(cats))
    for name, effect in world.main.items():
        c = cats[:, col[name]]
        signal += np.where(c >= 0, effect[np.maximum(c, 0)], 0.0)
    for (f, g), u in world.pair_u.items():
        cf, cg = cats[:, col[f]], cats[:, col[g]]
        dot = np.einsum("nr,nr->n", u[np.maximum(cf, 0)], world.pair_v[(f, g)][np.maximum(cg, 0)])  # (n,)
        signal += np.where((cf >= 0) & (cg >= 0), dot, 0.0)
    x = (_dense_inputs(dense) - world.x_mean) / world.x_std          # (n, 13) standardised
    return signal + x @ world.beta + world.alpha * x[:, 0] * x[:, 1]


def _block(world: _World, rng: np.random.Generator, n: int) -> tuple[pa.Table, np.ndarray]:
    dense, cats = _features(world, rng, n)
    signal = _signal(world, dense, cats)
    logit = world.bias + world.scale * signal + rng.normal(0.0, NOISE_STD, n)   # (n,)
    label = (rng.random(n) < 1.0 / (1.0 + np.exp(-logit))).astype(np.int8)
    columns = [pa.array(label)]
    for j in range(len(CRITEO_DENSE)):
        values = dense[:, j]
        columns.append(pa.array(np.nan_to_num(values).astype(np.int64), mask=np.isnan(values)))
    for j in range(len(CRITEO_SPARSE)):
        c = cats[:, j]
        columns.append(world.vocab[j].take(pa.array(c, mask=c < 0)))
    names = ["label", *CRITEO_DENSE, *CRITEO_SPARSE]
    return pa.Table.from_arrays(columns, names=names), logit
