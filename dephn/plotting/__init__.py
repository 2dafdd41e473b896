"""Every figure of the study (docs/decisions.md#study-items), as pure functions: data in, plotly
figure out, one module per paper figure (ssg: Fig. 3, gammas: Fig. 4, sweep: Fig. 5, training:
Fig. 6, confidence: Fig. 7, gating: gate values); `save_figure` writes them, `widgets` holds the
notebook explorers and `show`.
"""
from .confidence import (band_means_plot, binned_band, confidence_plot, reranking_plot, target_curves,
                         task_relation)
from .gammas import gamma_grid, gamma_heatmaps, gamma_point_table, vg_action, vg_coefficients
from .gating import contributions, gate_heatmap, gate_history
from .save import read_index, save_figure, static_image, static_png_available
from .ssg import activation_ratio, public_share, ssg_heatmap
from .sweep import gain_frame, gain_heatmap, gain_over_baseline, method_gains
from .training import curve_stats, loss_curves
from .widgets import confidence_explorer, gamma_explorer, gate_explorer, show

__all__ = [
    "activation_ratio", "band_means_plot", "binned_band", "confidence_explorer", "confidence_plot",
    "contributions", "curve_stats", "gain_frame", "gain_heatmap", "gain_over_baseline", "gamma_explorer", "gamma_grid",
    "gamma_heatmaps", "gamma_point_table", "gate_explorer", "gate_heatmap", "gate_history", "loss_curves",
    "method_gains", "public_share", "read_index", "reranking_plot", "save_figure", "show", "ssg_heatmap",
    "static_image", "static_png_available", "target_curves", "task_relation", "vg_action", "vg_coefficients",
]
