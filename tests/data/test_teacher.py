"""The Criteo-R/UR teacher: learns the click of generated data; the AUC helper."""
from __future__ import annotations

import numpy as np
import pytest

from dephn.data.encode import encode_stream
from dephn.data.readers.criteo import CRITEO_SCHEMA, CriteoReader
from dephn.data.teacher import TeacherConfig, roc_auc, train_teacher
from dephn.errors import DephnError

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_roc_auc_by_hand():
    assert roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == pytest.approx(0.75)
    assert roc_auc([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5]) == pytest.approx(0.5)   # ties count half
    assert np.isnan(roc_auc([1, 1], [0.2, 0.3]))


def test_teacher_learns_the_generated_click(generated_criteo):
    encoder, splits = encode_stream(CriteoReader(generated_criteo(8000)).iter_tables(), CRITEO_SCHEMA)
    data = splits["train"]
    cfg = TeacherConfig(epochs=3, holdout=0.25, seed=1)
    result = train_teacher(data.sparse, data.dense, data.labels[:, 0], encoder.vocab_sizes, cfg)
    assert result.logits.shape == (8000,) and np.isfinite(result.logits).all()
    assert result.holdout_rows == 2000 and result.train_rows == 6000
    assert result.holdout_auc > 0.6                       # about 0.64 measured; 0.5 = nothing learnt
    again = train_teacher(data.sparse, data.dense, data.labels[:, 0], encoder.vocab_sizes, cfg)
    np.testing.assert_allclose(again.logits, result.logits, rtol=1e-5, atol=1e-6)   # seeded


def test_bad_config():
    with pytest.raises(DephnError, match="holdout"):
        TeacherConfig(holdout=1.0)
