"""The virtual gradient (DEPHN, IJCNN 2023, §III-C, eqs. 7–9; docs/decisions.md#virtual-gradient).

A gradient *policy* applied to gate tensors, not a model: during training the gradient
that reaches gate value G^t_m (task t, gate entry m — an (expert, mapping) pair in DEPHN,
an expert in MMoE) is multiplied by

    c^t_m = prod_{j != t} gamma( phi(Y_j, Y_t), min(1, |G^t_m - G^j_m|) )        (eq. 8)

while the forward value of the gate is unchanged. `phi` is the absolute Pearson
correlation or absolute cosine similarity of two tasks' label vectors in the batch, and
`gamma` is one of the eight functions of the paper's Fig. 4 (`add_cos` is eq. 9).

The same operator serves DEPHN's TVG gates (global, (T, M)), its MG gates and MMoE's /
PLE's gates (per sample, (B, T, M)).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import torch
from torch import Tensor

from .errors import DephnError

# --- the eight gamma functions (paper Fig. 4) --------------------------------------------
# x = task correlation phi in [0, 1], y = gate-value difference in [0, 1]; every gamma maps
# [0,1]^2 into [0, 2] so a coefficient of 1 sits in the middle of its range.


def mul_cos(x: Tensor, y: Tensor) -> Tensor:
    """Fig. 4, multiplicative cosine: cos(2*pi*x*y) + 1."""
    return torch.cos(2.0 * math.pi * x * y) + 1.0


def mul_abs(x: Tensor, y: Tensor) -> Tensor:
    """Fig. 4, multiplicative absolute value: 2*|2xy - 1|."""
    return 2.0 * torch.abs(2.0 * x * y - 1.0)


def mul_square(x: Tensor, y: Tensor) -> Tensor:
    """Fig. 4, multiplicative square: 2*(2xy - 1)^2."""
    return 2.0 * (2.0 * x * y - 1.0) ** 2


def mul_sqrt(x: Tensor, y: Tensor) -> Tensor:
    """Fig. 4, multiplicative square root: 2*|2xy - 1|^0.5.

    The paper writes (2xy - 1)^0.5 of a quantity that is negative for xy < 1/2; the
    project takes the root of its absolute value (docs/decisions.md#gamma-functions).
    """
    return 2.0 * torch.sqrt(torch.abs(2.0 * x * y - 1.0))


def add_cos(x: Tensor, y: Tensor) -> Tensor:
    """Eq. 9 (Fig. 4, additive cosine): cos(pi*x + pi*y) + 1."""
    return torch.cos(math.pi * (x + y)) + 1.0


def add_abs(x: Tensor, y: Tensor) -> Tensor:
    """Fig. 4, additive absolute value: 2*|x + y - 1|."""
    return 2.0 * torch.abs(x + y - 1.0)


def add_square(x: Tensor, y: Tensor) -> Tensor:
    """Fig. 4, additive square: 2*(x + y - 1)^2."""
    return 2.0 * (x + y - 1.0) ** 2


def add_sqrt(x: Tensor, y: Tensor) -> Tensor:
    """Fig. 4, additive square root: 2*|x + y - 1|^0.5 (root of the absolute value, docs/decisions.md#gamma-functions).

    The paper's final choice, with the Pearson correlation.
    """
    return 2.0 * torch.sqrt(torch.abs(x + y - 1.0))


GAMMAS: dict[str, Callable[[Tensor, Tensor], Tensor]] = {
    f.__name__: f
    for f in (mul_cos, mul_abs, mul_square, mul_sqrt, add_cos, add_abs, add_square, add_sqrt)
}

CORRELATIONS = ("pearson", "cosine")

# A label column whose (centred, for Pearson) norm is below this fraction of its largest
# magnitude counts as constant / zero: its correlation is undefined and set to 0 (docs/decisions.md#task-correlation).
# Relative, so that rounding residue of a centred constant float vector is not mistaken
# for variation.
_UNDEFINED_RTOL = 1e-6


# --- task correlation phi (eq. 9) ---------------------------------------------------------


def correlation_matrix(labels: Tensor, kind: str) -> Tensor:
    """|phi(Y_j, Y_t)| for every task pair of a batch: labels (B, T) -> (T, T) in [0, 1].

    kind "pearson": absolute Pearson correlation; "cosine": absolute cosine similarity.
    Entries involving a constant (Pearson) or all-zero (cosine) label column are 0,
    the diagonal included. Computed once per batch, in float64 (B x T is small).
    """
    _check_corr(kind)
    if labels.dim() != 2:
        raise ValueError(f"labels must be (B, T), got shape {tuple(labels.shape)}")
    y = labels.detach().to(torch.float64)                      # (B, T)
    scale = y.abs().amax(dim=0)                                 # (T,)
    if kind == "pearson":
        y = y - y.mean(dim=0, keepdim=True)                     # (B, T) centred
    norm = torch.linalg.vector_norm(y, dim=0)                   # (T,)
    defined = norm > _UNDEFINED_RTOL * scale * math.sqrt(max(y.shape[0], 1))  # (T,)
    unit = y / torch.where(defined, norm, torch.ones_like(norm))  # (B, T) unit columns
    phi = (unit.T @ unit).abs().clamp(max=1.0)                  # (T, T)
    both = defined[:, None] & defined[None, :]                  # (T, T)
    phi = torch.where(both, phi, torch.zeros_like(phi))         # (T, T)
    return phi.to(labels.dtype if labels.is_floating_point() else torch.get_default_dtype())


def correlation(a: Tensor, b: Tensor, kind: str) -> Tensor:
    """|phi(a, b)| of two label vectors a, b of shape (B,): a scalar in [0, 1], 0 if undefined."""
    if a.shape != b.shape or a.dim() != 1:
        raise ValueError(f"a and b must both be (B,), got {tuple(a.shape)} and {tuple(b.shape)}")
    return correlation_matrix(torch.stack([a, b], dim=1), kind)[0, 1]


# --- gradient scaling ---------------------------------------------------------------------


class _ScaleGrad(torch.autograd.Function):
    """Identity forward; backward multiplies the incoming gradient by a fixed coefficient."""

    @staticmethod
    def forward(t: Tensor, coef: Tensor) -> Tensor:
        return t.clone()  # a new tensor with t's exact bits (no arithmetic: bit-identical)

    @staticmethod
    def setup_context(ctx, inputs, output) -> None:
        ctx.save_for_backward(inputs[1])

    @staticmethod
    def backward(ctx, grad: Tensor):
        (coef,) = ctx.saved_tensors
        return grad * coef, None


def scale_grad(t: Tensor, coef: Tensor | float) -> Tensor:
    """Return a tensor equal to `t` (bit for bit) whose gradient is multiplied by `coef`.

    The effect of docs/decisions.md#gradient-scaling-operator: `t.detach() + coef * (t - t.detach())`, written as a custom
    autograd function so the forward value is a copy rather than a sum that could round
    (or turn inf into nan). `coef` must broadcast to t's shape and receives no gradient.
    """
    coef = torch.as_tensor(coef, dtype=t.dtype, device=t.device).detach()
    if torch.broadcast_shapes(t.shape, coef.shape) != t.shape:
        raise ValueError(f"coef of shape {tuple(coef.shape)} does not broadcast to {tuple(t.shape)}")
    return _ScaleGrad.apply(t, coef)


# --- coefficients (eq. 8) -----------------------------------------------------------------


def coefficients(gates: Tensor, labels: Tensor, gamma: Callable[[Tensor, Tensor], Tensor] | str,
                 corr: str) -> Tensor:
    """Virtual-gradient coefficients c, the shape of `gates`, detached.

    gates: (T, M) global (TVG) or (B, T, M) per sample (MG, MMoE); labels: (B, T).
    c[..., t, m] = prod_{j != t} gamma(phi(Y_j, Y_t), min(1, |G[..., t, m] - G[..., j, m]|)).
    With one task the product is empty and c is 1.
    """
    gamma_fn = _gamma(gamma) if isinstance(gamma, str) else gamma
    if gates.dim() not in (2, 3):
        raise ValueError(f"gates must be (T, M) or (B, T, M), got shape {tuple(gates.shape)}")
    n_tasks = gates.shape[-2]
    if labels.dim() != 2 or labels.shape[1] != n_tasks:
        raise ValueError(f"labels must be (B, {n_tasks}), got shape {tuple(labels.shape)}")
    with torch.no_grad():
        # float64: the sqrt gammas amplify rounding near their zero (sqrt(1e-8) = 1e-4), and
        # x + y - 1 in float32 loses a gate difference below 6e-8 entirely
        g = gates.detach().to(torch.float64)                       # (T, M) | (B, T, M)
        x = correlation_matrix(labels.to(torch.float64), corr)     # (T, T): x[t, j] = phi(Y_t, Y_j)
        y = (g.unsqueeze(-2) - g.unsqueeze(-3)).abs().clamp(max=1.0)  # (..., T, T, M): |G^t - G^j|
        gam = gamma_fn(x.unsqueeze(-1), y)                          # (..., T, T, M)
        off = ~torch.eye(n_tasks, dtype=torch.bool, device=g.device)  # (T, T): j != t
        gam = torch.where(off.unsqueeze(-1), gam, torch.ones_like(gam))
        return gam.prod(dim=-2).to(gates.dtype)                     # (..., T, M)


class VirtualGradient:
    """The virtual-gradient operator: `gates_used, coef = vg(gates, labels)`.

    gates_used has the forward value of `gates` and the gradient of each entry multiplied
    by coef (same shape as gates). Models call it only while training with labels.
    """

    def __init__(self, gamma: str = "add_sqrt", corr: str = "pearson"):
        self.gamma_fn = _gamma(gamma)
        _check_corr(corr)
        self.gamma, self.corr = gamma, corr

    def __call__(self, gates: Tensor, labels: Tensor) -> tuple[Tensor, Tensor]:
        coef = coefficients(gates, labels, self.gamma_fn, self.corr)  # like gates
        return scale_grad(gates, coef), coef

    def __repr__(self) -> str:
        return f"VirtualGradient(gamma={self.gamma!r}, corr={self.corr!r})"


def _gamma(name: str) -> Callable[[Tensor, Tensor], Tensor]:
    if name not in GAMMAS:
        raise DephnError(f"unknown virtual-gradient gamma {name!r}; known: {', '.join(GAMMAS)}")
    return GAMMAS[name]


def _check_corr(kind: str) -> None:
    if kind not in CORRELATIONS:
        raise DephnError(f"unknown correlation {kind!r}; known: {', '.join(CORRELATIONS)}")


# --- settings: the one form a virtual-gradient choice takes ---------------------------------


@dataclass(frozen=True)
class VGSetting:
    """One virtual-gradient choice: a gamma function and a correlation measure.

    Written `GAMMA/CORR` everywhere a person types or reads it (`add_sqrt/pearson`): on the
    command line, in profiles, in run records and in table labels. Text becomes a setting once,
    where it comes in (`parse`: the command line's flag, `TrainConfig.from_dict` for records);
    past that edge the setting travels as it is (`TrainConfig.vg`, the trainer's policy).
    """

    gamma: str = "add_sqrt"
    corr: str = "pearson"

    def __post_init__(self):
        _gamma(self.gamma)
        _check_corr(self.corr)

    @property
    def label(self) -> str:
        return f"{self.gamma}/{self.corr}"

    def __str__(self) -> str:          # messages and tables read the setting as it is written
        return self.label

    @classmethod
    def parse(cls, text: str | None) -> "VGSetting | None":
        """"add_sqrt/pearson" -> VGSetting; "none" or None -> None (no virtual gradient)."""
        if text is None or text == NO_VG:
            return None
        gamma, sep, corr = str(text).partition("/")
        if not sep or gamma not in GAMMAS or corr not in CORRELATIONS:
            raise DephnError(f"virtual-gradient setting {text!r}: expected {NO_VG} or GAMMA/CORR "
                             f"with GAMMA in {sorted(GAMMAS)} and CORR {'|'.join(CORRELATIONS)}"
                             + (f" ({ALL_VG} names every setting, in sweeps)" if text == ALL_VG else ""))
        return cls(gamma, corr)

    def operator(self) -> "VirtualGradient":
        return VirtualGradient(self.gamma, self.corr)


NO_VG, ALL_VG = "none", "all"


def label(setting: VGSetting | None) -> str:
    """The table label of a setting: "none" or "GAMMA/CORR"."""
    return NO_VG if setting is None else setting.label


def parse_settings(items) -> list[VGSetting | None]:
    """["none", "add_sqrt/pearson", "all"] -> settings; "all" = every gamma x both correlations."""
    out: list[VGSetting | None] = []
    for item in items:
        if item == ALL_VG:
            out.extend(VGSetting(g, c) for g in GAMMAS for c in CORRELATIONS)
            continue
        try:
            out.append(VGSetting.parse(item))
        except DephnError:
            raise DephnError(f"virtual-gradient setting {item!r}: expected {NO_VG}, {ALL_VG} or GAMMA/CORR "
                             f"with GAMMA in {sorted(GAMMAS)} and CORR {'|'.join(CORRELATIONS)}") from None
    return out
