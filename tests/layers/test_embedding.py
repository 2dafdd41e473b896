import pytest
import torch

from dephn.layers import FieldEmbedding
from dephn.layers.embedding import field_offsets


def test_shape_and_field_count():
    emb = FieldEmbedding([3, 4, 5], n_dense=2, dim=6)
    sparse = torch.tensor([[0, 1, 4], [2, 3, 0]])
    out = emb(sparse, torch.randn(2, 2))
    assert out.shape == (2, 5, 6)
    assert emb.table.num_embeddings == 12  # one fused table for all fields


def test_offsets_are_exclusive_cumsum():
    assert field_offsets([3, 4, 5]).tolist() == [0, 3, 7]


def test_same_id_in_different_fields_reads_different_rows():
    emb = FieldEmbedding([3, 4], n_dense=0, dim=1)
    with torch.no_grad():
        emb.table.weight.copy_(torch.arange(7.0).unsqueeze(1))  # row r holds value r
    out = emb(torch.tensor([[0, 0], [2, 3]]), torch.zeros(2, 0))  # (2, 2, 1)
    assert out[0, :, 0].tolist() == [0.0, 3.0]  # field 1 id 0 -> row 3, not row 0
    assert out[1, :, 0].tolist() == [2.0, 6.0]


def test_dense_field_is_value_times_its_vector():
    emb = FieldEmbedding([3], n_dense=2, dim=4)
    dense = torch.tensor([[2.0, -1.0]])
    out = emb(torch.tensor([[1]]), dense)
    torch.testing.assert_close(out[0, 1], 2.0 * emb.dense_weight[0])
    torch.testing.assert_close(out[0, 2], -1.0 * emb.dense_weight[1])


@pytest.mark.parametrize("sparse_grad", [True, False])
def test_table_gradient_is_sparse_when_asked(sparse_grad):
    emb = FieldEmbedding([3, 4], n_dense=1, dim=2, sparse=sparse_grad)
    emb(torch.tensor([[1, 2]]), torch.ones(1, 1)).sum().backward()
    assert emb.table.weight.grad.is_sparse == sparse_grad
    assert not emb.dense_weight.grad.is_sparse
    # only the two rows read (1 and 3 + 2) receive gradient
    rows = emb.table.weight.grad.to_dense().abs().sum(1).nonzero().flatten().tolist()
    assert rows == [1, 5]


def test_init_is_small():
    emb = FieldEmbedding([1000], n_dense=0, dim=16)
    assert 0.005 < emb.table.weight.std().item() < 0.02


def test_rejects_empty_vocabulary():
    with pytest.raises(ValueError, match="vocab size"):
        FieldEmbedding([3, 0], n_dense=0, dim=2)


def test_dense_init_unit_starts_the_dense_vectors_near_unit_norm():
    import pytest
    from dephn.layers.embedding import EMBED_INIT_STD
    torch.manual_seed(0)
    small = FieldEmbedding([5, 7], n_dense=400, dim=16, dense_init="small")
    unit = FieldEmbedding([5, 7], n_dense=400, dim=16)                  # the default
    assert small.dense_weight.std().item() == pytest.approx(EMBED_INIT_STD, rel=0.05)
    assert unit.dense_weight.norm(dim=1).pow(2).mean().item() == pytest.approx(1.0, rel=0.05)
    assert unit.table.weight.std().item() == pytest.approx(EMBED_INIT_STD, rel=0.05)   # sparse rows as before
    with pytest.raises(ValueError, match="dense_init"):
        FieldEmbedding([5], n_dense=1, dim=4, dense_init="big")
