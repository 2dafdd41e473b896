# %% [markdown]
# # 02 · RQ1: parallel heterogeneous experts (paper Table I, Fig. 3a, Fig. 3b)
#
# MT-PHN is MMoE with heterogeneous experts: a DNN, a DCN cross network and a FINT field
# interaction network, each fed by its own soft-selection gate (SSG) over a shared
# self-attention. Table I compares its three expert settings (which structures are shared and
# gated, which are private to a task) with single-task and multi-task baselines.
#
# **What to look at:** whether `D_pub,C&F_pri` (DNN shared, Cross and Field private: the
# paper's pick) is the best MT-PHN setting, and how it stands against MMoE, PLE and SNR —
# as mean ± std over seeds, beside the paper's single-run numbers. The `smoke` and `cpu`
# profiles run on the embedded Criteo-UR data, not on Ali-CCP: compare orderings, not values.

# %% PARAMS

# %%
from dephn import plotting
from dephn.study import items, open_study, table
from dephn.study.paper import table_i_frame

study = open_study(profile, out_dir, seeds=seeds, criteo_path=criteo_path,
                   aliccp_path=aliccp_path, wechat_path=wechat_path)
dataset = study.profile.table1_dataset
print(f"profile {study.profile.name}: Table I on {dataset!r}, seeds {study.profile.seeds}")

# %%
# NBVAL_IGNORE_OUTPUT
results = study.run(table.table1(study))
tasks = study.dataset(dataset).schema.tasks

# %% [markdown]
# ## One tuning budget: the learning-rate grid
# Every configuration of Table I trains once per rate of the profile's grid on its tuning seeds;
# the rate with the highest validation AUC (mean over tasks and tuning seeds) is the one its
# runs on every seed use. Same grid, same seeds, same rule for every model: none is tuned more.

# %%
# NBVAL_IGNORE_OUTPUT
grid = study.grid_table(table.table1(study))
study.save_table(grid, "lr_grid_table1", title="Table I · learning-rate grid (validation AUC)",
                 caption="Mean validation AUC over tasks and tuning seeds per rate; `chosen` is the rate the "
                         "configuration's runs use.", source="02_parallel_experts")
grid

# %% [markdown]
# ## Table I: test log loss and AUC, mean ± std over seeds
# Each row also shows its parameter count and the learning rate its grid chose.

# %%
# NBVAL_IGNORE_OUTPUT
paper = table_i_frame().rename(columns={"setting": "label"})
paper["label"] = paper["label"].replace("", "none")
table = items.with_paper(items.metric_table(results, tasks, by=("model", "label")), paper, tasks,
                         on=("model", "label"))
study.save_table(table, "table1", title=f"Table I · MT-PHN expert settings vs baselines ({dataset})",
                 caption="Test metrics, mean ± std over seeds; paper columns: Ali-CCP, single run.",
                 source="02_parallel_experts")
table[[c for c in table.columns if not c.endswith((":mean", ":std"))]]

# %% [markdown]
# ## Fig. 3a: the SSG gate vectors $G_{sg}$ of the three structures
# Each structure (DNN, Cross, Field) mixes the raw embedding and its self-attention version with
# its own trainable vector (initialised to 0.5): values above 0.5 lean on self-attention.

# %%
# NBVAL_IGNORE_OUTPUT
ssg = items.ssg_vectors(study, results, model="mtphn", label="D_pub,C&F_pri")
fig = plotting.ssg_heatmap(ssg)
study.save_figure(fig, "fig3a_ssg", title="Fig. 3a · SSG gate vectors per structure",
                  caption="Mean over seeds of G_sg at the end of training (MT-PHN, D_pub,C&F_pri).",
                  source="02_parallel_experts")
plotting.show(fig, interactive=False)

# %% [markdown]
# ## Fig. 3b: public vs private activation before the final sigmoid, per task
# The task logit is the sum of a public part (gated shared experts) and a private part (the
# task's own Cross and Field experts); the share is mean |public| / (mean |public| + mean |private|).

# %%
# NBVAL_IGNORE_OUTPUT
parts = items.activation_parts(study, results, model="mtphn", label="D_pub,C&F_pri")
fig = plotting.activation_ratio(parts)
study.save_figure(fig, "fig3b_public_private", title="Fig. 3b · public vs private activation",
                  caption="Share of the absolute public logit per task, mean ± std over seeds (test split).",
                  source="02_parallel_experts")
plotting.show(fig, interactive=False)
parts.groupby("task")[["public_abs", "private_abs", "public_share"]].agg(["mean", "std"]).round(3)
