from dephn.models import build_model, model_names
from dephn.models.single_task import DNNNet
from dephn.models.summary import count_parameters, markdown_table


def test_table_covers_every_registered_model(tiny_spec, tiny_cfg):
    text = markdown_table(tiny_spec(2), tiny_cfg())
    assert all(f"`{name}`" in text for name in model_names())


def test_shared_bottom_count_by_hand(tiny_spec, tiny_cfg):
    spec, cfg = tiny_spec(2), tiny_cfg(expert_hidden=(5,), tower_hidden=())
    n_in = spec.n_fields * cfg.embed_dim
    bn = 2 * 5 if cfg.batch_norm else 0                                               # BN scale + shift
    expected = (sum(spec.vocab_sizes) * cfg.embed_dim + spec.n_dense * cfg.embed_dim  # embedding
                + n_in * 5 + 5 + bn                                                   # bottom
                + 2 * (5 + 1))                                                         # linear towers
    total, tables = count_parameters(build_model("shared_bottom", spec, cfg))
    assert tables == sum(spec.vocab_sizes) * cfg.embed_dim and total == expected


def test_single_task_models_grow_with_the_task_count(tiny_spec, tiny_cfg):
    cfg = tiny_cfg()
    one = sum(p.numel() for p in DNNNet(tiny_spec(1), cfg).parameters())
    assert count_parameters(build_model("dnn", tiny_spec(3), cfg))[0] == 3 * one
