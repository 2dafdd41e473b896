"""The numbers the paper reports (single runs), to print beside this project's.

Kong et al., "DEPHN: Different Expression Parallel Heterogeneous Network using virtual
gradient optimization for Multi-task Learning", IJCNN 2023. Table I (Ali-CCP, MT-PHN expert
settings) and Table II (Ali-CCP and WeChat-2021); (logloss, AUC) per task.
"""
from __future__ import annotations

import pandas as pd

# Table I: model, expert setting -> (task1 logloss, task1 AUC, task2 logloss, task2 AUC)
TABLE_I = {
    ("dnn", ""): (0.161467, 0.627484, 0.003462, 0.531357),
    ("wide_deep", ""): (0.161684, 0.624813, 0.002457, 0.618657),
    ("dcn", ""): (0.161539, 0.626710, 0.003462, 0.528997),
    ("fint", ""): (0.161060, 0.630317, 0.002604, 0.610606),
    ("mmoe", ""): (0.161248, 0.620267, 0.002050, 0.638755),
    ("ple", ""): (0.161167, 0.619016, 0.002091, 0.598048),
    ("snr", ""): (0.161060, 0.624165, 0.002104, 0.542347),
    ("mtphn", "D_pub,C&F_pub"): (0.161049, 0.622513, 0.002021, 0.637854),
    ("mtphn", "D_pri,C&F_pub"): (0.161870, 0.624355, 0.002062, 0.649029),
    ("mtphn", "D_pub,C&F_pri"): (0.161390, 0.625701, 0.002056, 0.655160),
}

# Table II: model -> Ali-CCP (2 tasks) then WeChat-2021 (3 tasks), (logloss, AUC) per task
TABLE_II = {
    "dnn": (0.161467, 0.627484, 0.003462, 0.531357, 0.095421, 0.925291, 0.091059, 0.826466, 0.037159, 0.832976),
    "wide_deep": (0.161684, 0.624813, 0.002457, 0.618657, 0.093197, 0.926729, 0.090587, 0.827845, 0.037363, 0.831841),
    "dcn": (0.161539, 0.626710, 0.003462, 0.528997, 0.094495, 0.924850, 0.090668, 0.828572, 0.037012, 0.832986),
    "fint": (0.161060, 0.630317, 0.002604, 0.610606, 0.093764, 0.925961, 0.090373, 0.830775, 0.036682, 0.839455),
    "nfm": (0.161971, 0.617122, 0.002310, 0.589522, 0.096288, 0.917460, 0.092024, 0.818766, 0.037966, 0.814771),
    "xdeepfm": (0.170470, 0.602327, 0.004157, 0.558556, 0.093896, 0.925278, 0.090316, 0.832673, 0.036780, 0.840571),
    "mmoe": (0.161248, 0.620267, 0.002050, 0.638755, 0.093932, 0.924594, 0.091325, 0.822586, 0.037745, 0.825175),
    "ple": (0.161167, 0.619016, 0.002091, 0.598048, 0.095841, 0.918362, 0.091993, 0.819099, 0.037880, 0.808978),
    "snr": (0.161060, 0.624165, 0.002104, 0.542347, 0.096817, 0.913339, 0.091150, 0.825172, 0.038583, 0.803636),
    "mtphn": (0.161390, 0.625701, 0.002056, 0.655160, 0.094612, 0.923507, 0.091312, 0.826003, 0.037036, 0.828731),
    "dephn": (0.162253, 0.625885, 0.002045, 0.663543, 0.101615, 0.923981, 0.091039, 0.828510, 0.037001, 0.829934),
}

# correlations of the continuous targets of the artificial data sets (paper §IV-A)
CRITEO_PEARSON = {"criteo-r": 0.9877, "criteo-ur": 0.5288}


def table_i_frame() -> pd.DataFrame:
    rows = []
    for (model, setting), v in TABLE_I.items():
        rows.append({"model": model, "setting": setting, "task1/logloss": v[0], "task1/auc": v[1],
                     "task2/logloss": v[2], "task2/auc": v[3]})
    return pd.DataFrame(rows)


def table_ii_frame() -> pd.DataFrame:
    rows = []
    for model, v in TABLE_II.items():
        for ds, off, n in (("aliccp", 0, 2), ("wechat", 4, 3)):
            for t in range(n):
                rows.append({"dataset": ds, "model": model, "task": t + 1,
                             "logloss": v[off + 2 * t], "auc": v[off + 2 * t + 1]})
    return pd.DataFrame(rows)
