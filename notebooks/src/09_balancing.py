# %% [markdown]
# # 09 · The virtual gradient vs multi-task gradient balancing (beyond the paper)
#
# DEPHN's virtual gradient is a rule for the gradients of the gates. The multi-task literature
# has many rules for the gradients of the whole network: Jacobian descent (UPGrad, MGDA, PCGrad,
# CAGrad, IMTL-G, Aligned-MTL, Nash-MTL, through `torchjd`) and loss weighting (uncertainty
# weighting, DWA, GradNorm). The paper compares with none of them. Here every method trains
# MMoE and DEPHN on Criteo-R and Criteo-UR over the same seeds as plain training, and each is
# paired against plain training: mean gain in test AUC, its 95% interval, the p-value, the
# smallest gain the test could detect at this number of seeds, and the time per step.
#
# **What to look at:** whether any bar is clearly away from zero (★, and outside the detectable
# band), whether the virtual gradient (in the paper's regime or the one where it acts) is among
# them, and what each method costs per step.

# %% PARAMS

# %%
from dephn import plotting
from dephn.study import items, open_study, table

study = open_study(profile, out_dir, seeds=seeds, criteo_path=criteo_path,
                   aliccp_path=aliccp_path, wechat_path=wechat_path)
print(f"profile {study.profile.name}: methods {', '.join(study.profile.balance)}; seeds {list(study.profile.seeds)}")

# %%
# NBVAL_IGNORE_OUTPUT
results = study.run(table.balancing(study))
tasks = study.dataset("criteo-ur").schema.tasks
gains = items.paired_gains(results, tasks)

# %% [markdown]
# ## Gain over plain training, per data set and model

# %%
# NBVAL_IGNORE_OUTPUT
fig = plotting.method_gains(gains)
study.save_figure(fig, "balance_gains", title="Virtual gradient vs gradient balancing: gain over plain training",
                  caption="Paired test-AUC gain over plain training on the same seeds, mean and 95% interval; "
                          "★ = p < 0.05.", source="09_balancing")
plotting.show(fig, interactive=False)

# %% [markdown]
# ## The numbers, with what the test could see and what each method costs

# %%
# NBVAL_IGNORE_OUTPUT
table = items.gain_table(gains)
study.save_table(table.round(5), "balance_gains", title="Gains over plain training, per method",
                 caption="diff = mean paired test-AUC difference, lo/hi = 95% interval, detectable = smallest "
                         "difference the paired test detects with 80% power at this n; ms_per_step = training "
                         "time per step (plain: ms_per_step_plain).", source="09_balancing")
table.round(4)
