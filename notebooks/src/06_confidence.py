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
from dephn.study import items, open_study

study = open_study(profile, out_dir, seeds=seeds, criteo_path=criteo_path,
                   aliccp_path=aliccp_path, wechat_path=wechat_path)
dataset = "criteo-ur"

# %%
# NBVAL_IGNORE_OUTPUT
results = study.run(items.confidence_specs(study, dataset))
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
