"""Every figure of the study (docs/decisions.md#study-items), as pure functions: data in, plotly figure out.

| paper item | function |
|---|---|
| Fig. 3a  SSG gate vectors                  | `ssg_heatmap` |
| Fig. 3b  public vs private activation      | `activation_ratio` (numbers: `public_share`) |
| Fig. 4   the eight γ functions             | `gamma_heatmaps`, `gamma_point_table` |
| Fig. 5   gain over MMoE per γ × corr       | `gain_over_baseline` (input: `gain_frame`) |
| Fig. 6   training loss, TVG vs MG          | `loss_curves` |
| Fig. 7   activation against confidence c   | `confidence_plot`, `task_relation`, `target_curves` |
| gates, contributions, VG coefficients      | `gate_history`, `gate_heatmap`, `contributions`,
|                                            | `vg_coefficients`, `vg_action` (does it act?) |
| VG vs gradient balancing (notebook 09)     | `method_gains` |
| band of c learnt? (notebook 06)            | `band_means_plot`, `reranking_plot` |

`save_figure` is the one helper that writes figures to disk (HTML + PNG + JSON + index);
`dephn.plotting.widgets` holds the notebook explorers and `show`.
"""
from .confidence import (band_means_plot, binned_band, confidence_plot, reranking_plot, target_curves,
                         task_relation)
from .gammas import gamma_grid, gamma_heatmaps, gamma_point_table, vg_action, vg_coefficients
from .gating import contributions, gate_heatmap, gate_history
from .save import read_index, save_figure, static_image, static_png_available
from .ssg import activation_ratio, public_share, ssg_heatmap
from .sweep import gain_frame, gain_over_baseline, method_gains
from .training import curve_stats, loss_curves
from .widgets import confidence_explorer, gamma_explorer, gate_explorer, show

__all__ = [
    "activation_ratio", "band_means_plot", "binned_band", "confidence_explorer", "confidence_plot",
    "contributions", "curve_stats", "gain_frame", "gain_over_baseline", "gamma_explorer", "gamma_grid",
    "gamma_heatmaps", "gamma_point_table", "gate_explorer", "gate_heatmap", "gate_history", "loss_curves",
    "method_gains", "public_share", "read_index", "reranking_plot", "save_figure", "show", "ssg_heatmap",
    "static_image", "static_png_available", "target_curves", "task_relation", "vg_action", "vg_coefficients",
]
