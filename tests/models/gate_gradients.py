"""Checks of the virtual-gradient policy on a gated model (DEPHN, MT-PHN, MMoE, PLE).

A gated model routes its stacked task gates through `dephn.layers.GateHook` modules; the
trainer's `VirtualGradientPolicy` attaches to them. The helpers here run one training step
on a plain model and on an identical model with the policy attached, record at every hook
the gate values, the gradient reaching the hook's output (what the model downstream sends
back) and the gradient leaving its input (what reaches the gate values), and compare:

- forward values: bit-identical (logits, probabilities, intermediates, aux loss);
- at every hook: input gradient = output gradient x the coefficient of eq. 8, computed
  independently of the policy, both with `dephn.virtual_gradient.coefficients` and with an
  explicit loop over task pairs with numpy correlations (`reference_coef`);
- at the top hook: its output gradient is the plain model's, so the gate-value gradient is
  the plain one times the coefficient;
- every parameter's gradient: that of a reference model that rescales the gate gradient
  itself (a tensor hook multiplying by `reference_coef`); parameters the gates do not
  depend on (towers, experts, ...) keep the plain model's gradient bit for bit;
- `policy.coef`: one entry per hook name, shaped like the model's gates.

`check_no_rescaling` checks the policy stays out of the way in eval mode, without labels,
without grad, and after `detach()`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from dephn.layers import GateHook
from dephn.train.policy import VirtualGradientPolicy, gate_hooks
from dephn.virtual_gradient import GAMMAS, VGSetting, coefficients

from .conftest import Batch, task_bce


def vg_labels(n: int, n_tasks: int, seed: int = 5) -> torch.Tensor:
    """(n, T) labels of distinct, partly correlated tasks (make_batch's task 2 repeats task 0)."""
    g = torch.Generator().manual_seed(seed)
    base = torch.rand(n, 1, generator=g)
    return (0.6 * base + 0.4 * torch.rand(n, n_tasks, generator=g) > 0.5).float()


def _abs_corr(a: np.ndarray, b: np.ndarray, corr: str) -> float:
    if corr == "pearson":
        a, b = a - a.mean(), b - b.mean()
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na == 0 or nb == 0:
        return 0.0
    return float(min(1.0, abs(a @ b) / (na * nb)))


def reference_coef(gates: torch.Tensor, labels: torch.Tensor, gamma: str, corr: str) -> torch.Tensor:
    """Eq. 8 written out with loops: gates (T, M) or (B, T, M), labels (B, T) -> float64 like gates.

    c[..., t, m] = prod_{j != t} gamma(|phi(Y_t, Y_j)|, min(1, |G[..., t, m] - G[..., j, m]|)).
    """
    g = gates.detach().double().numpy()
    y = labels.detach().double().numpy()
    n_tasks = y.shape[1]
    c = np.ones_like(g)
    for t in range(n_tasks):
        for j in range(n_tasks):
            if j == t:
                continue
            x = torch.tensor(_abs_corr(y[:, t], y[:, j], corr), dtype=torch.float64)
            diff = torch.from_numpy(np.minimum(1.0, np.abs(g[..., t, :] - g[..., j, :])))
            c[..., t, :] *= GAMMAS[gamma](x, diff).numpy()
    return torch.from_numpy(c)


@dataclass
class HookTrace:
    values: torch.Tensor            # the gate values entering the hook (T, M) | (B, T, M)
    grad_in: torch.Tensor | None    # gradient reaching the gate values
    grad_out: torch.Tensor | None   # gradient the model sends back to the hook's output


@dataclass
class Step:
    out: object                                     # ModelOutput
    hooks: dict[str, HookTrace] = field(default_factory=dict)
    grads: dict[str, torch.Tensor] = field(default_factory=dict)   # parameter name -> dense grad


def _loss(out, labels) -> torch.Tensor:
    loss = task_bce(out, labels, list(out.logits)).sum()
    return loss + out.aux_loss if out.aux_loss is not None else loss


def run_step(model: nn.Module, batch: Batch, policy: VirtualGradientPolicy | None = None, *,
             train: bool = True, scale: dict[str, torch.Tensor] | None = None) -> Step:
    """One forward + backward of the summed task BCE, recording every gate hook.

    policy: handed the batch's labels first (as the trainer does) when given.
    scale: hook name -> coefficient; rescales that hook's gate gradient with a plain tensor
    hook (the reference the policy is compared with).
    """
    model.train(train)
    model.zero_grad(set_to_none=True)
    captured: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}

    def record(hook: GateHook, args, out):
        gates_in = args[0]
        gates_in.retain_grad()
        if out is not gates_in:
            out.retain_grad()
        if scale is not None and hook.name in scale:
            assert out is gates_in                  # the reference model has no policy
            coef = scale[hook.name].to(out.dtype)
            out.register_hook(lambda g: g * coef)
        captured[hook.name] = (gates_in, out)

    handles = [h.register_forward_hook(record) for h in gate_hooks(model)]  # after the policy's
    try:
        if policy is not None:
            policy.set_labels(batch.labels)
        out = model(batch.sparse, batch.dense)
        _loss(out, batch.labels).backward()
    finally:
        for h in handles:
            h.remove()
    step = Step(out)
    for name, (gates_in, gates_out) in captured.items():
        grad_in = None if gates_in.grad is None else gates_in.grad.detach().clone()
        if gates_out is gates_in:
            grad_out = grad_in if scale is None or name not in scale else None   # hooked: not seen
        else:
            grad_out = None if gates_out.grad is None else gates_out.grad.detach().clone()
        step.hooks[name] = HookTrace(gates_in.detach().clone(), grad_in, grad_out)
    step.grads = {n: p.grad.to_dense().clone() for n, p in model.named_parameters() if p.grad is not None}
    return step


def same_forward(a, b) -> None:
    """Two ModelOutputs are bit-identical."""
    assert list(a.logits) == list(b.logits)
    for name in a.logits:
        assert torch.equal(a.logits[name], b.logits[name]), name
    assert (a.probs is None) == (b.probs is None)
    if a.probs is not None:
        for name in a.probs:
            assert torch.equal(a.probs[name], b.probs[name]), name
    assert (a.aux_loss is None) == (b.aux_loss is None)
    if a.aux_loss is not None:
        assert torch.equal(a.aux_loss, b.aux_loss)
    assert set(a.intermediates) == set(b.intermediates)
    for key in a.intermediates:
        assert torch.equal(a.intermediates[key], b.intermediates[key]), key


def same_grads(a: dict, b: dict) -> None:
    assert set(a) == set(b)
    for n in a:
        assert torch.equal(a[n], b[n]), n


def upstream_of_gates(model: nn.Module, batch: Batch, train: bool = True) -> set[str]:
    """Names of the parameters the gate values depend on (autograd ancestors of every hook input)."""
    model.train(train)
    inputs = []
    handles = [h.register_forward_hook(lambda m, args, out: inputs.append(args[0])) for h in gate_hooks(model)]
    try:
        model(batch.sparse, batch.dense)
    finally:
        for h in handles:
            h.remove()
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    grads = torch.autograd.grad([g.sum() for g in inputs], [p for _, p in named], allow_unused=True)
    return {n for (n, _), g in zip(named, grads) if g is not None}


def _sync(src: nn.Module, *dst: nn.Module) -> None:
    """Same parameters and buffers (BN running statistics move on every training forward)."""
    for m in dst:
        m.load_state_dict(src.state_dict())


def check_virtual_gradient(make_model, batch: Batch, setting: VGSetting,
                           shapes: dict[str, tuple[int, ...]], gate_params: tuple[str, ...],
                           policy: VirtualGradientPolicy | None = None) -> dict:
    """All the checks of the module docstring on one step of `make_model()` (same seed each call).

    shapes: the expected `policy.coef` shape per hook name (its keys are all the hook names);
    gate_params: name prefixes of the gates' own parameters (their gradient must change).
    Returns {"plain": Step, "vg": Step, "policy": policy, "coef": {name: reference coef}}.
    """
    plain, with_vg, reference = make_model(), make_model(), make_model()
    _sync(plain, with_vg, reference)
    policy = policy or VirtualGradientPolicy(setting)
    assert policy.attach(with_vg) is policy
    assert {h.name for h in gate_hooks(with_vg)} == set(shapes)
    upstream = upstream_of_gates(make_model(), batch)
    assert policy.coef == {}

    p0 = run_step(plain, batch)
    p1 = run_step(with_vg, batch, policy)
    same_forward(p0.out, p1.out)

    # coefficients: recorded per hook, shaped like the model's gates, equal to eq. 8
    assert set(policy.coef) == set(shapes)
    assert set(p1.hooks) == set(shapes)
    coef = {}
    for name, trace in p1.hooks.items():
        assert torch.equal(trace.values, p0.hooks[name].values)            # same gate values
        ref = reference_coef(trace.values, batch.labels, setting.gamma, setting.corr)
        mine = coefficients(trace.values, batch.labels, setting.gamma, setting.corr)
        assert mine.shape == trace.values.shape
        torch.testing.assert_close(mine.double(), ref, rtol=1e-5, atol=1e-6)
        assert not torch.allclose(ref, torch.ones_like(ref)), f"{name}: a trivial coefficient tests nothing"
        recorded = policy.coef[name]
        assert tuple(recorded.shape) == tuple(shapes[name]), name
        assert not recorded.requires_grad
        torch.testing.assert_close(recorded.reshape(trace.values.shape), mine, rtol=0, atol=0)
        coef[name] = ref
        # the gradient reaching the gate values is the one sent back to the hook times c
        assert trace.grad_out is not None and trace.grad_in is not None
        torch.testing.assert_close(trace.grad_in.double(), trace.grad_out.double() * ref, rtol=1e-5, atol=1e-9)
        assert not torch.allclose(trace.grad_in, trace.grad_out)
    # the top hook sees the plain model's gradient: gate gradient = plain gradient x c
    top = p1.hooks["gates"]
    assert torch.equal(top.grad_out, p0.hooks["gates"].grad_in)
    torch.testing.assert_close(top.grad_in.double(), p0.hooks["gates"].grad_in.double() * coef["gates"],
                               rtol=1e-5, atol=1e-9)

    # parameters: as if the gate gradients were rescaled by hand; the rest untouched
    r = run_step(reference, batch, scale=coef)
    same_forward(p0.out, r.out)
    assert set(p1.grads) == set(p0.grads) == set(r.grads) == {n for n, _ in with_vg.named_parameters()}
    for n in p1.grads:
        torch.testing.assert_close(p1.grads[n], r.grads[n], rtol=1e-4, atol=1e-7, msg=lambda m, n=n: f"{n}: {m}")
    untouched = set(p0.grads) - upstream
    assert untouched, "every parameter feeds the gates: nothing left to check unchanged"
    for n in untouched:
        assert torch.equal(p1.grads[n], p0.grads[n]), n
    own = [n for n in p0.grads if n.startswith(gate_params)]
    assert own and set(own) <= upstream
    assert any(not torch.allclose(p1.grads[n], p0.grads[n]) for n in own)
    return {"plain": p0, "vg": p1, "policy": policy, "coef": coef, "upstream": upstream}


def check_no_rescaling(make_model, batch: Batch, setting: VGSetting = VGSetting("add_sqrt", "pearson")) -> None:
    """The policy leaves gradients alone without labels, in eval mode, without grad, after detach."""
    plain, with_vg = make_model(), make_model()
    _sync(plain, with_vg)
    policy = VirtualGradientPolicy(setting).attach(with_vg)

    def compare(train: bool, labels: bool):
        _sync(plain, with_vg)
        # without `labels` the policy is handed none (it still holds what it last had)
        p1 = run_step(with_vg, batch, policy if labels else None, train=train)
        p0 = run_step(plain, batch, train=train)
        same_forward(p0.out, p1.out)
        same_grads(p0.grads, p1.grads)
        for name, trace in p1.hooks.items():
            assert torch.equal(trace.grad_in, p0.hooks[name].grad_in), name
        return p1

    compare(train=True, labels=False)                       # training, but no labels set
    assert policy.labels is None and policy.coef == {}
    compare(train=False, labels=True)                       # labels set, eval mode
    assert policy.coef == {}
    _sync(plain, with_vg)
    with torch.no_grad():                                   # labels, training mode, no grad
        with_vg.train()
        policy.set_labels(batch.labels)
        with_vg(batch.sparse, batch.dense)
    assert policy.coef == {}

    # with labels in training mode it is live: gradients move, coefficients appear
    _sync(plain, with_vg)
    p1 = run_step(with_vg, batch, policy)
    p0 = run_step(plain, batch)
    assert set(policy.coef) == {h.name for h in gate_hooks(with_vg)}
    assert any(not torch.equal(p0.grads[n], p1.grads[n]) for n in p0.grads)
    before = dict(policy.coef)

    policy.detach()
    assert policy.labels is None
    policy.set_labels(batch.labels)                         # even with labels: no hook left
    compare(train=True, labels=True)
    assert all(policy.coef[n] is before[n] for n in before) and set(policy.coef) == set(before)
