"""What a data set is made of: task labels, dense fields, sparse fields."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Schema:
    """Column roles of a multi-task data set (names as in the source)."""

    tasks: tuple[str, ...]   # binary label columns, one per task, in model output order
    dense: tuple[str, ...]   # numeric fields (each becomes one embedded field)
    sparse: tuple[str, ...]  # categorical fields (vocabulary + out-of-vocabulary id)

    def __post_init__(self):
        for name in ("tasks", "dense", "sparse"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        if not self.tasks:
            raise ValueError("a schema needs at least one task column")
        if not (self.dense or self.sparse):
            raise ValueError("a schema needs at least one dense or sparse field")
        cols = self.tasks + self.dense + self.sparse
        dup = sorted({c for c in cols if cols.count(c) > 1})
        if dup:
            raise ValueError(f"columns used in more than one role: {dup}")


@dataclass(frozen=True)
class FeatureSpec:
    """What a model needs to know about its input: built from an encoded data set."""

    vocab_sizes: tuple[int, ...]  # rows per sparse field, id 0 = out-of-vocabulary / missing
    n_dense: int                  # number of dense fields
    tasks: tuple[str, ...]        # task names, the keys of the model's logits

    @property
    def n_fields(self) -> int:
        """F: fields in the embedding matrix (sparse + dense)."""
        return len(self.vocab_sizes) + self.n_dense
