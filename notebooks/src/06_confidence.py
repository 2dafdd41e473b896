# %% [markdown]
# # 06 · Confidence: what MMoE and DEPHN learn of the task relation (paper Fig. 7)
#
# On Criteo-UR both tasks are functions of one base confidence $c$: task 1 of $c$ itself,
# task 2 of $y_{ur}(c) = \mathrm{sign}(c)(2\sin|c| + 0.1\cos|c|)$, a relation no linear
# mixing of shared experts reproduces. The figure plots each model's activation (logit) per
# task against $c$ on test rows — median line and prediction band over all seeds — beside the
# true target curve; then task 2's activation against task 1's, beside the true relation
# (paper eq. 3).
#
# **What to look at:** whether DEPHN's task-2 activation follows the bend of $y_{ur}$ where
# MMoE's stays monotone, and how wide each band is. **Explore:** task, model, interval level.

# %% PARAMS

# %%
from dephn import plotting
from dephn.study import diagnostics, items, open_study, table

study = open_study(profile, out_dir, seeds=seeds, criteo_path=criteo_path,
                   aliccp_path=aliccp_path, wechat_path=wechat_path)
dataset = table.CONFIDENCE_DATASET

# %%
# NBVAL_IGNORE_OUTPUT
results = study.run(table.confidence(study))
tasks = study.dataset(dataset).schema.tasks
results[["model", "seed"] + [f"test/{t}/auc" for t in tasks]]

# %% [markdown]
# ## Fig. 7: activation against the base confidence c

# %%
# NBVAL_IGNORE_OUTPUT
c, acts = items.activations(study, results)
curves = items.true_curves(dataset, c, tasks)
fig = plotting.confidence_plot(c, acts, curves, level=0.9)
study.save_figure(fig, "fig7_confidence", title="Fig. 7 · MMoE vs DEPHN activation against c (Criteo-UR)",
                  caption="Median logit per bin of c and 90% prediction band over test rows and seeds; "
                          "the true target on the right axis.", source="06_confidence")
plotting.show(fig, interactive=False)

# %%
# NBVAL_IGNORE_OUTPUT
plotting.show(plotting.confidence_explorer(c, acts, curves), interactive=interactive)

# %% [markdown]
# ## The task relation each model learned

# %%
# NBVAL_IGNORE_OUTPUT
act1 = {m: a[tasks[0]] for m, a in acts.items()}
act2 = {m: a[tasks[1]] for m, a in acts.items()}
relation = curves[tasks[1]]
fig = plotting.task_relation(act1, act2, relation, tasks=tasks)
study.save_figure(fig, "task_relation", title="Task 2 activation against task 1 activation",
                  caption="Binned median and 90% band per model; the true relation y_ur(c) for reference.",
                  source="06_confidence")
plotting.show(fig, interactive=False)

# %% [markdown]
# ## Has a model learnt the band of c, or does it only re-rank task 1?
#
# Task 1 is $1[c > t_1]$, increasing in $c$; task 2 is $1[y_{ur}(c) > t_2]$, positive on a band of
# $c$ around $\pi/2$ and negative on both sides of it (and positive again below about $-\pi$, where
# $\sin|c|$ turns negative; the dashed curve of the last figure shows both). A model that has only
# learnt "more $c$, more likely" for both tasks orders task 2's rows as it orders task 1's. Three
# checks on the test rows, every seed:
#
# - **Ceilings** (per task): *AUC of c* is what $c$ itself, or any strictly increasing function of
#   it, scores; the *strictly monotone ceiling* is the better of $c$ and $-c$; the *monotone ceiling
#   (ties allowed)* is the best any monotone function of $c$ can do (the isotonic fit of the label on
#   $c$, which traces the convex hull of $c$'s ROC curve). The *Bayes ceiling* is the AUC of the
#   generator's own $P(\text{label} = 1 \mid c)$: 1 here, since the labels are thresholds of $c$.
#   For task 1 the ceilings coincide; for task 2 the gap between the monotone and the Bayes ceiling
#   is what only learning the band can win.
# - **Re-ranking** (per model and seed): task 2's AUC from the model's own task-2 logit beside its
#   AUC from the model's task-1 logit. A *gap* near 0 and a Spearman correlation of the two logits
#   near 1 mean the task-2 output is an increasing function of the task-1 output: the model only
#   re-ranks task 1. A task-2 AUC above the monotone ceiling means it has learnt that task 2 falls
#   again past the band.
# - **Band means** (per bin of $c$): each model's mean predicted probability per task (line: mean
#   over seeds, band: range over seeds) beside the true probability of the bin (dashed). A band
#   learner's task-2 curve rises and falls with the dashed one; a re-ranker's keeps rising.

# %%
# NBVAL_IGNORE_OUTPUT
diag = diagnostics.diagnose(study, results)
study.save_table(diag["ceilings"], "confidence_ceilings", title="Criteo-UR: AUC ceilings of scores of c",
                 caption="Per task on the test rows: AUC of c and -c, the best AUC of any monotone function "
                         "of c, and the AUC of the true probability (Bayes ceiling).", source="06_confidence")
diag["ceilings"]

# %%
# NBVAL_IGNORE_OUTPUT
study.save_table(diag["reranking"], "confidence_reranking", title="Criteo-UR: does task 2 only re-rank task 1?",
                 caption="Per model and seed: task AUCs, task 2's AUC scored by the task-1 logit, their gap, "
                         "task 2's AUC over the monotone ceiling, Spearman correlation of the two logits.",
                 source="06_confidence")
diag["reranking_summary"]

# %%
# NBVAL_IGNORE_OUTPUT
fig = plotting.reranking_plot(diag["reranking"], diag["ceilings"], tasks=tasks)
study.save_figure(fig, "confidence_reranking", title="Task 2 AUC: own logit against the task-1 logit (Criteo-UR)",
                  caption="One point per model and seed; on the diagonal the task-2 output only re-ranks task 1, "
                          "above the dotted monotone ceiling it has learnt the band.", source="06_confidence")
plotting.show(fig, interactive=False)

# %%
# NBVAL_IGNORE_OUTPUT
study.save_table(diag["bands"], "confidence_band_means", title="Criteo-UR: mean prediction per bin of c",
                 caption="Per model, task and bin of c: mean predicted probability (mean, std, min, max over "
                         "seeds), the true probability and the label rate of the bin.", source="06_confidence")
fig = plotting.band_means_plot(diag["bands"], tasks=tasks)
study.save_figure(fig, "confidence_band_means", title="Mean prediction per bin of c against the true probability",
                  caption="Line: mean over seeds of each model's mean predicted probability in the bin; band: range "
                          "over seeds; dashed: the true probability of the bin.", source="06_confidence")
plotting.show(fig, interactive=False)
