# %% [markdown]
# # 05 · Gating: TVG vs MG, gate values, explicit-mapping contributions (paper Fig. 6)
#
# DEPHN's gates weight every public expert × explicit mapping (raw, sin, cos) per task. **TVG**
# (trainable value gating, the paper's pick) learns one global value per gate; **MG** (mapping
# gating, MMoE style) computes them per sample from the input. Both run here with the virtual
# gradient (`add_sqrt` / Pearson) on Criteo-UR.
#
# **What to look at:** the training loss of TVG vs MG (Fig. 6); how the gates move over
# training and differ between tasks; how much each expert × mapping contributes to each task's
# public logit; and the distribution of the virtual-gradient coefficients actually applied.

# %% PARAMS

# %%
from dephn import plotting
from dephn.study import items, open_study, table

study = open_study(profile, out_dir, seeds=seeds, criteo_path=criteo_path,
                   aliccp_path=aliccp_path, wechat_path=wechat_path)

# %%
# NBVAL_IGNORE_OUTPUT
results = study.run(table.gating(study))
mappings = list(study.profile.model_options.get("mappings", ("raw", "sin", "cos")))

# %% [markdown]
# Each configuration runs at the learning rate its grid chose on validation AUC (the same grid and
# tuning seeds as every model of Table I):

# %%
# NBVAL_IGNORE_OUTPUT
grid = study.grid_table(table.gating(study))
study.save_table(grid, "lr_grid_gating", title="TVG vs MG · learning-rate grid (validation AUC)",
                 caption="Mean validation AUC over tasks and tuning seeds per rate; `chosen` is the rate used.",
                 source="05_gating")
grid

# %% [markdown]
# ## Fig. 6: training loss, TVG vs MG (mean and min–max band over seeds)

# %%
# NBVAL_IGNORE_OUTPUT
losses = items.loss_frame(study, results, by="label").rename(columns={"label": "gate"})
fig = plotting.loss_curves(losses, by="gate", title="Fig. 6 · DEPHN training loss: TVG vs MG")
study.save_figure(fig, "fig6_tvg_vs_mg", title="Fig. 6 · training loss, TVG vs MG",
                  caption="Sum of task losses every few steps; line = mean, band = min–max over seeds.",
                  source="05_gating")
plotting.show(fig, interactive=False)
# this data set's tasks only: a column no run of it has (another data set's task) is left out
results[["label", "seed"] + [c for c in results.columns if c.startswith("test/") and c.endswith("/auc")]].dropna(
    axis=1, how="all")

# %% [markdown]
# ## Gate values over training (TVG, first seed)
# One heat map per task and epoch: rows are public experts, columns explicit mappings.
# **Explore:** choose the task and the epoch.

# %%
# NBVAL_IGNORE_OUTPUT
tvg_run = results[results["label"] == "tvg"].sort_values("seed")["run_id"].iloc[0]
histories = items.gate_histories(study, tvg_run)
experts = [f"expert {k}" for k in range(next(iter(histories.values())).shape[1])]
task0 = next(iter(histories))
fig = plotting.gate_history(histories[task0], experts, mappings, task=task0)
study.save_figure(fig, "gates_over_training", title="Gate values over training (TVG)",
                  caption=f"Task {task0!r}: every expert × mapping gate after each epoch.", source="05_gating")
plotting.show(fig, interactive=False)

# %%
# NBVAL_IGNORE_OUTPUT
plotting.show(plotting.gate_explorer(histories, experts, mappings), interactive=interactive)

# %% [markdown]
# ## Explicit-mapping contributions to each task's public logit (TVG, linear head, test split)
# With the literal linear public head (eq. 4) the public logit is a sum of one term per expert ×
# mapping; the matched MLP head of the comparisons mixes them, so this view uses the linear-head run.

# %%
# NBVAL_IGNORE_OUTPUT
linear_run = results[results["label"] == table.LINEAR_HEAD].sort_values("seed")["run_id"].iloc[0]
contrib = items.contributions(study, linear_run)
fig = plotting.contributions(contrib, mappings)
study.save_figure(fig, "mapping_contributions", title="Explicit-mapping contributions",
                  caption="Mean |W·G·f_p(e_k)| per public expert and mapping, per task (test rows).",
                  source="05_gating")
plotting.show(fig, interactive=False)

# %% [markdown]
# ## Virtual-gradient coefficients seen during training

# %%
# NBVAL_IGNORE_OUTPUT
coefs = items.vg_coefficients(study, results)
fig = plotting.vg_coefficients(coefs)
study.save_figure(fig, "vg_coefficients", title="Virtual-gradient coefficients in training",
                  caption="Batch-mean coefficient per gate, every recorded step, all seeds.",
                  source="05_gating")
plotting.show(fig, interactive=False)

# %% [markdown]
# ## Does the virtual gradient act?
# A gradient multiplier only matters if the optimizer passes it on. Adam divides every
# parameter's step by its running gradient scale, so a coefficient that is the same at every
# step and entry cancels; only its variation reaches the update. Below, for MMoE and DEPHN with
# the paper's setting (`add_sqrt` / Pearson) on Criteo-UR, in both regimes of the Fig. 5 sweep:
# the coefficient over training (mean and range over every gate entry and sample), and a probe
# taken at every recorded step: the gate parameters' gradient and update with the coefficient
# against without it, from the same state and batch (relative change).
#
# **What to look at:** the gradient changes by a similar amount in both regimes; the update
# changes far less under Adam than under SGD — that gap is how much of the virtual gradient
# the paper's optimizer cancels.

# %%
# NBVAL_IGNORE_OUTPUT
sweep = study.run(table.vg_sweep(study, datasets=("criteo-ur",)))
action = items.vg_action(study, sweep)
fig = plotting.vg_action(action)
study.save_figure(fig, "vg_action", title="Does the virtual gradient act?",
                  caption="Left: coefficient mean per recorded step, band = min–max over gate entries and "
                          "samples. Right: relative change of the gate parameters' gradient (dotted) and update "
                          "(solid) made by the coefficient, median over seeds.", source="05_gating")
plotting.show(fig, interactive=False)
summary = items.vg_action_summary(action)
study.save_table(summary.round(4), "vg_action", title="The virtual gradient's action, per model and regime",
                 caption="Coefficient statistics over recorded steps and seeds; median relative change of the "
                         "gate gradient and of the gate update made by the coefficient.", source="05_gating")
summary.round(4)
