"""Parameter counts of every registered model under one feature spec and config.

`python -m dephn.models.summary` prints the Markdown table kept in docs/models.md.
"""
from __future__ import annotations

from torch import nn

from ..config import ModelConfig
from ..data.schema import FeatureSpec
from .registry import build_model, is_multi_task, model_names

# The representative spec of docs/models.md ("Parameter counts").
CRITEO_LIKE = FeatureSpec(vocab_sizes=(10_000,) * 26, n_dense=13, tasks=("task1", "task2"))


def count_parameters(model: nn.Module) -> tuple[int, int]:
    """(all parameters, those in embedding tables) of a model."""
    total = sum(p.numel() for p in model.parameters())
    tables = sum(m.weight.numel() for m in model.modules() if isinstance(m, (nn.Embedding, nn.EmbeddingBag)))
    return total, tables


def markdown_table(spec: FeatureSpec, cfg: ModelConfig | None = None) -> str:
    """The table of docs/models.md: total, embedding-table and other parameters per model."""
    cfg = cfg or ModelConfig()
    rows = ["| model | kind | parameters | in embedding tables | other |", "|---|---|---:|---:|---:|"]
    for name in model_names():
        total, tables = count_parameters(build_model(name, spec, cfg))
        kind = "multi-task" if is_multi_task(name) else "single-task (one net per task)"
        rows.append(f"| `{name}` | {kind} | {total:,} | {tables:,} | {total - tables:,} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(markdown_table(CRITEO_LIKE))
