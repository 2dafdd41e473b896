"""DDP with 2 CPU processes (gloo, torchrun) gives the metrics of one process on the same
global batches, within a stated tolerance (float summation order differs). BatchNorm is off:
on CPU its batch statistics are per process, which is a real (documented) difference."""
import json
import subprocess
import sys
import textwrap

import pytest

from tests.conftest import REPO

TOLERANCE = 2e-3   # |AUC(2 processes) - AUC(1 process)| per task

SCRIPT = textwrap.dedent("""
    import json, sys
    sys.path.insert(0, {repo!r})
    import torch
    from tests.conftest import synthetic_encoded
    from dephn.config import ModelConfig
    from dephn.models import build_model
    from dephn.train.config import TrainConfig
    from dephn.train.distributed import init_from_env, shutdown
    from dephn.train.loop import fit
    from dephn.train.seed import set_seed

    ctx = init_from_env("cpu")
    data = synthetic_encoded(n=4000)
    gen = set_seed(0)
    model = build_model("mmoe", data.feature_spec, ModelConfig(embed_dim=8, expert_hidden=(16,),
                                                                tower_hidden=(8,), n_experts=2,
                                                                batch_norm=False))
    res = fit(model, data, TrainConfig(epochs=2, batch_size=256, lr=5e-3, sparse_lr=5e-3, quiet=True,
                                       device="cpu"), generator=gen, dist_ctx=ctx)
    if ctx.is_main:
        json.dump({{"world": ctx.world, "test": res.test, "steps": res.steps}}, open(sys.argv[1], "w"))
    shutdown(ctx)
""")


@pytest.mark.slow
def test_two_process_ddp_matches_one_process(tmp_path):
    script = tmp_path / "ddp.py"
    script.write_text(SCRIPT.format(repo=str(REPO)))
    results = {}
    for world in (1, 2):
        out = tmp_path / f"w{world}.json"
        cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={world}",
               str(script), str(out)]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr[-3000:]
        results[world] = json.loads(out.read_text())
    assert results[2]["world"] == 2 and results[1]["world"] == 1
    assert results[1]["steps"] == results[2]["steps"]
    for task, m in results[1]["test"].items():
        assert m["auc"] > 0.6
        assert abs(results[2]["test"][task]["auc"] - m["auc"]) < TOLERANCE, (task, results)
