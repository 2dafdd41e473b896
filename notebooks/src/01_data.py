# %% [markdown]
# # 01 · Data: Criteo-R and Criteo-UR (paper §IV-A)
#
# The paper builds two artificial two-task data sets from Criteo: a small "teacher" network
# learns Criteo's click; its logit is the base confidence $c$ of each row. Task 1's target is
# $c$; task 2's is $y_r = \mathrm{sign}(c)\,2\ln(|c|+1) + 0.1e^{|c|} + \varepsilon$ (Criteo-R,
# related) or $y_{ur} = \mathrm{sign}(c)(2\sin|c| + 0.1\cos|c|)$ (Criteo-UR, unrelated);
# labels are thresholded targets.
#
# **What to look at:** the Pearson correlation of the continuous targets against the paper's
# 0.9877 (R) and 0.5288 (UR) — the scale on $c$ is searched to aim at them — the label
# correlation this gives, the label rates, and the shapes of the true curves $y(c)$ that the
# confidence notebook (06) compares models against. Without `criteo_path` the source is the
# embedded generator (Criteo's format and structure, generated labels).

# %% PARAMS

# %%
from dephn import plotting
from dephn.study import items, open_study

study = open_study(profile, out_dir, seeds=seeds, criteo_path=criteo_path,
                   aliccp_path=aliccp_path, wechat_path=wechat_path)
print(f"profile {study.profile.name}: source {criteo_path or f'embedded generator, {study.profile.rows} rows'}")

# %%
# NBVAL_IGNORE_OUTPUT
summary = items.data_summary(study)
study.save_table(summary, "data_summary", title="Criteo-R / Criteo-UR as built",
                 caption="Positive rates, Pearson correlations (continuous targets and labels), "
                         "scale on c and thresholds.", source="01_data")
summary.T

# %% [markdown]
# The seeded build must not drift (the notebook check compares these rounded values):

# %%
# NBVAL_CHECK_OUTPUT
print(summary[["dataset", "rows", "task1 rate", "task2 rate", "pearson(c, y) this build",
               "pearson(labels)"]].round(3).to_string(index=False))

# %% [markdown]
# ## The true target curves $y(c)$

# %%
# NBVAL_IGNORE_OUTPUT
c, targets = items.target_samples(study)
fig = plotting.target_curves(c, {"y_r (Criteo-R)": targets["y_r"], "y_ur (Criteo-UR)": targets["y_ur"]})
study.save_figure(fig, "target_curves", title="True targets y(c) of Criteo-R and Criteo-UR",
                  caption="Task 2's continuous target against the base confidence c (test rows).",
                  source="01_data")
plotting.show(fig, interactive=False)
