"""Multi-task gradient balancing: how a step's task losses become parameter gradients.

The weighting axis of the trainer, beside the gate-gradient policy (`policy.py`): the model
knows nothing of it, and the virtual gradient composes with every method here (its gate hooks
rescale the gate gradients inside whichever backward a method runs). Two families:

- Jacobian descent (`torchjd`, pinned): the per-task gradients of the dense parameters form a
  Jacobian that an aggregator turns into one update direction: UPGrad, MGDA (Désidéri 2012),
  PCGrad (Yu et al., NeurIPS 2020), CAGrad (Liu et al., NeurIPS 2021), Nash-MTL (Navon et al.,
  ICML 2022), IMTL-G (Liu et al., ICLR 2021), Aligned-MTL (Senushkin et al., CVPR 2023),
  DualProj, GradVac (Wang et al., ICLR 2021), ConFIG. Sparse embedding tables take the
  task-weighted sum with the aggregator's task weights (their per-task Jacobians would be dense
  table-sized matrices).
- Loss weighting: uncertainty weighting (Kendall et al., CVPR 2018), dynamic weight average
  (Liu et al., CVPR 2019), GradNorm (Chen et al., ICML 2018); small, each tested against its
  paper's rule (`tests/train/test_balance.py`).
"""
from __future__ import annotations

from typing import Callable

import torch
from torch import nn
from torchjd import aggregation as jd
from torchjd.autojac import backward as jac_backward
from torchjd.autojac import jac_to_grad

from ..errors import DephnError


class Balancer:
    """Plain training: the weighted sum of the task losses (weights: `TrainConfig.task_weights`)."""

    name = "none"

    def __init__(self, n_tasks: int, task_weights: torch.Tensor):
        self.n_tasks = n_tasks
        self.task_weights = task_weights                  # (T,) fixed weights of the config
        self.weights = task_weights.detach().clone()      # (T,) the weights of the last step

    def parameters(self) -> list[nn.Parameter]:
        """The method's own trainable values (trained with the dense parameters)."""
        return []

    def backward(self, losses: torch.Tensor, aux: torch.Tensor | None, dense: list, sparse: list,
                 retain_graph: bool = False) -> None:
        """Accumulate the step's gradients into `.grad` of `dense` and `sparse` parameters."""
        total = (losses * self.task_weights).sum()
        (total if aux is None else total + aux).backward(retain_graph=retain_graph)

    def end_epoch(self, epoch_losses: torch.Tensor) -> None:
        """The epoch's mean per-task training losses (T,), for methods that weight by epoch."""


# -- Jacobian descent -------------------------------------------------------------------------

AGGREGATORS: dict[str, Callable[[int], jd.Aggregator]] = {
    "upgrad": lambda t: jd.UPGrad(),
    "mgda": lambda t: jd.MGDA(),
    "pcgrad": lambda t: jd.PCGrad(),
    "cagrad": lambda t: jd.CAGrad(c=0.5),                 # the paper's c for multi-task benchmarks
    "nashmtl": lambda t: jd.NashMTL(n_tasks=t),
    "imtlg": lambda t: jd.IMTLG(),
    "alignedmtl": lambda t: jd.AlignedMTL(),
    "dualproj": lambda t: jd.DualProj(),
    "gradvac": lambda t: jd.GradVac(),
    "config": lambda t: jd.ConFIG(),
}


class JacobianDescent(Balancer):
    def __init__(self, name: str, n_tasks: int, task_weights: torch.Tensor):
        super().__init__(n_tasks, task_weights)
        self.name, self.aggregator = name, AGGREGATORS[name](n_tasks)

    def backward(self, losses, aux, dense, sparse, retain_graph=False):
        weighted = losses * self.task_weights                                  # (T,)
        # one task row at a time: the batched (vmap) backward does not run through every op here
        # (custom autograd functions such as the virtual gradient's, sparse embeddings)
        jac_backward(list(weighted), inputs=dense, retain_graph=True, parallel_chunk_size=1)   # .jac (T, *shape)
        w = jac_to_grad(dense, self.aggregator)                                # .grad; task weights or None
        self.weights = (w.detach().to(losses.device).float() if w is not None
                        else torch.ones_like(losses))
        rest = (weighted * self.weights.to(weighted.dtype)).sum()
        if sparse:
            torch.autograd.backward(rest, inputs=sparse, retain_graph=aux is not None or retain_graph)
        if aux is not None:
            torch.autograd.backward(aux, inputs=[*dense, *sparse], retain_graph=retain_graph)


# -- loss weighting ---------------------------------------------------------------------------

class UncertaintyWeighting(Balancer):
    """Kendall et al. (CVPR 2018), classification form: sum_t exp(-s_t) L_t + s_t / 2, with
    s_t = log sigma_t^2 trained with the model (start 0: weights 1)."""

    name = "uw"

    def __init__(self, n_tasks: int, task_weights: torch.Tensor):
        super().__init__(n_tasks, task_weights)
        self.log_var = nn.Parameter(torch.zeros(n_tasks, device=task_weights.device))   # (T,)

    def parameters(self):
        return [self.log_var]

    def total(self, losses: torch.Tensor) -> torch.Tensor:
        return (torch.exp(-self.log_var) * losses * self.task_weights + 0.5 * self.log_var).sum()

    def backward(self, losses, aux, dense, sparse, retain_graph=False):
        self.weights = torch.exp(-self.log_var.detach()) * self.task_weights
        total = self.total(losses)
        (total if aux is None else total + aux).backward(retain_graph=retain_graph)


class DynamicWeightAverage(Balancer):
    """Liu et al. (CVPR 2019), eq. 7: w_t = T exp(r_t / tau) / sum_i exp(r_i / tau), with
    r_t = L_t(e-1) / L_t(e-2) the ratio of the task's mean training loss over the last two
    epochs; weights 1 for the first two epochs. tau = 2, the paper's."""

    name = "dwa"
    tau = 2.0

    def __init__(self, n_tasks: int, task_weights: torch.Tensor):
        super().__init__(n_tasks, task_weights)
        self.history: list[torch.Tensor] = []
        self.dynamic = torch.ones(n_tasks, device=task_weights.device)

    def end_epoch(self, epoch_losses):
        self.history.append(epoch_losses.detach().float().to(self.dynamic.device))
        if len(self.history) >= 2:
            r = self.history[-1] / self.history[-2].clamp_min(1e-12)
            self.dynamic = self.n_tasks * torch.softmax(r / self.tau, dim=0)

    def backward(self, losses, aux, dense, sparse, retain_graph=False):
        self.weights = self.dynamic * self.task_weights
        total = (losses * self.weights.to(losses.dtype)).sum()
        (total if aux is None else total + aux).backward(retain_graph=retain_graph)


class GradNorm(Balancer):
    """Chen et al. (ICML 2018). Task weights w_t (sum T) are moved so that the gradient norms
    G_t = w_t ||grad_W L_t|| approach mean(G) * r_t^alpha, r_t = (L_t / L_t(0)) / mean_i(L_i / L_i(0)),
    by a gradient step on L_grad = sum_t |G_t - target_t| (target constant), then renormalised.
    W: every dense parameter that all tasks' losses reach (the paper takes the last shared layer
    for speed; a model-agnostic trainer takes all shared weights). alpha = 1.5."""

    name = "gradnorm"
    alpha = 1.5

    def __init__(self, n_tasks: int, task_weights: torch.Tensor, lr: float = 1e-3):
        super().__init__(n_tasks, task_weights)
        self.w = nn.Parameter(torch.ones(n_tasks, device=task_weights.device))   # (T,)
        self.optimizer = torch.optim.Adam([self.w], lr=lr)
        self.initial: torch.Tensor | None = None
        self.grad_norms = torch.zeros(n_tasks)

    def update(self, losses: torch.Tensor, norms: torch.Tensor) -> None:
        """One GradNorm step on the weights from the task losses and ||grad_W L_t|| (both (T,))."""
        losses, norms = losses.detach().float(), norms.detach().float().to(self.w.device)
        if self.initial is None:
            self.initial = losses.clamp_min(1e-12)
        ratio = losses / self.initial                                    # (T,) L_t / L_t(0)
        r = ratio / ratio.mean()                                         # (T,) relative inverse rate
        g = self.w * norms                                               # (T,) G_t
        target = (g.mean() * r ** self.alpha).detach()                   # (T,) constant
        self.optimizer.zero_grad(set_to_none=True)
        (g - target).abs().sum().backward()
        self.optimizer.step()
        with torch.no_grad():                                            # renormalise: sum w = T
            self.w.clamp_(min=1e-6)
            self.w.mul_(self.n_tasks / self.w.sum())

    def backward(self, losses, aux, dense, sparse, retain_graph=False):
        grads = [torch.autograd.grad(losses[t], dense, retain_graph=True, allow_unused=True)
                 for t in range(self.n_tasks)]
        shared = [i for i in range(len(dense)) if all(g[i] is not None for g in grads)]
        norms = torch.stack([torch.sqrt(sum((g[i].float() ** 2).sum() for i in shared))
                             if shared else torch.zeros((), device=losses.device) for g in grads])
        self.grad_norms = norms.detach().cpu()
        self.weights = self.w.detach() * self.task_weights
        total = (losses * self.weights.to(losses.dtype)).sum()
        (total if aux is None else total + aux).backward(retain_graph=retain_graph)
        self.update(losses, norms)


LOSS_WEIGHTING = {"uw": UncertaintyWeighting, "dwa": DynamicWeightAverage, "gradnorm": GradNorm}
BALANCERS = ("none", *AGGREGATORS, *LOSS_WEIGHTING)


def make_balancer(name: str, n_tasks: int, task_weights: torch.Tensor, lr: float = 1e-3) -> Balancer:
    """The balancer `TrainConfig.balance` names, for `n_tasks` tasks."""
    if name == "none":
        return Balancer(n_tasks, task_weights)
    if name in AGGREGATORS:
        return JacobianDescent(name, n_tasks, task_weights)
    if name == "gradnorm":
        return GradNorm(n_tasks, task_weights, lr=lr)
    if name in LOSS_WEIGHTING:
        return LOSS_WEIGHTING[name](n_tasks, task_weights)
    raise DephnError(f"unknown balance method {name!r}; known: {', '.join(BALANCERS)}")
