import torch
from torch import nn

from dephn.train.loop import EarlyStopping


def _model(value: float) -> nn.Module:
    m = nn.Linear(1, 1, bias=False)
    with torch.no_grad():
        m.weight.fill_(value)
    return m


def test_keeps_the_best_epoch_and_stops_after_patience_epochs_without_gain():
    stop = EarlyStopping(patience=2)
    model = _model(1.0)
    assert not stop.update(1, 0.70, model)
    model.weight.data.fill_(2.0)
    assert not stop.update(2, 0.75, model)          # better: kept
    model.weight.data.fill_(3.0)
    assert not stop.update(3, 0.74, model)          # one epoch without gain
    assert stop.update(4, 0.75, model)              # two: a tie is no gain
    assert (stop.epoch, stop.score) == (2, 0.75)
    assert stop.restore(model).weight.item() == 2.0


def test_patience_zero_never_stops_and_restore_without_a_score_changes_nothing():
    stop = EarlyStopping(patience=0)
    model = _model(5.0)
    assert stop.restore(model).weight.item() == 5.0
    assert not stop.update(1, 0.9, model)
    assert not any(stop.update(e, 0.1, model) for e in range(2, 10))
    assert stop.epoch == 1


def test_the_kept_state_is_a_copy():
    stop = EarlyStopping(patience=1)
    model = _model(1.0)
    stop.update(1, 0.5, model)
    model.weight.data.fill_(7.0)
    assert stop.state["weight"].item() == 1.0
