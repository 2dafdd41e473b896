"""The benchmark's opt-in torch.compile: what it compiles, and that it changes no number."""
import copy
import shutil

import pytest
import torch

from dephn.bench.compiled import compilable_parts, compile_model
from dephn.config import ModelConfig
from dephn.models.registry import build_model
from tests.models.conftest import make_batch, make_spec

CFG = ModelConfig(embed_dim=4, expert_hidden=(8,), tower_hidden=(4,), n_experts=2, cross_layers=1, fint_layers=2)


def test_dense_parts_are_compiled_not_the_embedding_nor_the_gate_hooks():
    spec = make_spec(2)
    assert [n for n, _ in compilable_parts(build_model("mmoe", spec, CFG))] == [
        "experts", "gates.0", "gates.1", "towers.0", "towers.1"]
    names = [n for n, _ in compilable_parts(build_model("dephn", spec, CFG))]
    assert "phl" in names and not any(n.startswith(("embedding", "gate_hook")) for n in names)


@pytest.mark.skipif(shutil.which("g++") is None and shutil.which("gcc") is None,
                    reason="torch.compile on CPU needs a C++ compiler")
@pytest.mark.parametrize("name", ["mmoe", "dephn"])
def test_compiled_model_gives_the_eager_outputs_and_gradients(name):
    torch.manual_seed(0)
    spec = make_spec(2)
    eager = build_model(name, spec, CFG).train()
    compiled = copy.deepcopy(eager)
    compile_model(compiled)
    batch = make_batch(2, spec=spec)
    results = []
    for model in (eager, compiled):
        out = model(batch.sparse, batch.dense)
        loss = sum(torch.nn.functional.binary_cross_entropy_with_logits(out.logits[t], batch.labels[:, i])
                   for i, t in enumerate(out.logits))
        loss.backward(retain_graph=True)      # as the virtual gradient's probe steps do
        results.append((out, {n: p.grad.to_dense() for n, p in model.named_parameters() if p.grad is not None}))
    (out_e, grads_e), (out_c, grads_c) = results
    for t in out_e.logits:
        torch.testing.assert_close(out_c.logits[t], out_e.logits[t], rtol=1e-4, atol=1e-5)
    assert grads_c.keys() == grads_e.keys()
    # gradients to 1e-4 of the largest one (the biases ahead of batch norm have a gradient
    # of rounding noise only, which no relative tolerance fits)
    scale = max(float(g.abs().max()) for g in grads_e.values())
    for n, g in grads_e.items():
        torch.testing.assert_close(grads_c[n], g, rtol=1e-3, atol=1e-4 * scale, msg=n)
