import numpy as np
import pytest

from dephn.errors import DephnError
from dephn.plotting.gating import as_epoch_grid, gate_heatmap, gate_history

EXPERTS, MAPPINGS = ["e1", "e2"], ["raw", "sin", "cos"]


def history(epochs=4):
    rng = np.random.default_rng(0)
    return rng.dirichlet(np.ones(6), size=epochs).reshape(epochs, 2, 3)


def test_epoch_grid_accepts_every_recorded_layout():
    h = history()
    np.testing.assert_array_equal(as_epoch_grid(h, EXPERTS, MAPPINGS), h)
    np.testing.assert_array_equal(as_epoch_grid(h.reshape(4, 6), EXPERTS, MAPPINGS), h)
    per_sample = np.stack([h, h + 0.2], axis=1)                     # (E, B=2, K, P)
    np.testing.assert_allclose(as_epoch_grid(per_sample, EXPERTS, MAPPINGS), h + 0.1)
    mmoe = h[:, :, 0]                                               # (E, K)
    assert as_epoch_grid(mmoe, EXPERTS, None).shape == (4, 2, 1)
    with pytest.raises(DephnError, match="does not match"):
        as_epoch_grid(h.reshape(4, 6), ["e1"], MAPPINGS)


def test_history_draws_one_line_per_expert_and_mapping():
    h = history()
    fig = gate_history(h, EXPERTS, MAPPINGS, "ctr")
    assert len(fig.data) == 6
    by_name = {t.name: t for t in fig.data}
    np.testing.assert_allclose(by_name["e2 · sin"].y, h[:, 1, 1])
    assert list(by_name["e1 · raw"].x) == [1, 2, 3, 4]
    # colour follows the expert, dash the mapping
    assert by_name["e1 · raw"].line.color == by_name["e1 · cos"].line.color != by_name["e2 · raw"].line.color
    assert by_name["e1 · raw"].line.dash != by_name["e1 · sin"].line.dash
    assert "'ctr'" in fig.layout.title.text
    assert fig.layout.shapes[0].y0 == pytest.approx(1 / 6)         # uniform reference line


def test_history_epoch_labels_must_match():
    with pytest.raises(DephnError, match="epoch labels"):
        gate_history(history(), EXPERTS, MAPPINGS, "ctr", epochs=[1, 2])


def test_heatmap_of_one_epoch():
    g = history()[-1]
    fig = gate_heatmap(g, EXPERTS, MAPPINGS, task="cvr", epoch=4, zmax=0.9)
    hm = fig.data[0]
    np.testing.assert_allclose(np.asarray(hm.z), g)
    assert list(hm.x) == MAPPINGS and list(hm.y) == EXPERTS
    assert (hm.zmin, hm.zmax) == (0.0, 0.9)
    assert fig.layout.title.text == "Gate values of task 'cvr' after epoch 4"
    flat = gate_heatmap(g.reshape(-1), EXPERTS, MAPPINGS)
    np.testing.assert_allclose(np.asarray(flat.data[0].z), g)
    assert flat.data[0].zmax == pytest.approx(g.max())
