# %% [markdown]
# # 10 · Ablations: which part of DEPHN carries the result?
#
# DEPHN stacks several ideas: soft selection gating (SSG) over the field embeddings, private
# Cross and Field experts beside the shared DNN experts, explicit mappings (raw, sin, cos) of
# the shared experts, trainable-value gates (TVG) trained with the virtual gradient, a public
# head (matched to the baselines' towers here) and the output σ(s_pub + s_pri). The paper
# reports the whole. Here each part is switched off or replaced alone — SSG off, no private
# experts, the raw mapping only, MG instead of TVG gates, the literal linear public head, the
# literal sum of sigmoids, no virtual gradient — and paired against full DEPHN on the same
# seeds, on Criteo-R and Criteo-UR. One more row changes the input set-up rather than DEPHN:
# the dense fields' vectors starting small (N(0, 0.01²)) instead of at unit norm, the
# project's default before 2026-11-30 (docs/decisions.md#dense-field-vectors).
#
# **What to look at:** a part carries the result where removing it costs AUC clearly (★, and
# beyond the smallest effect the test could detect); bars inside that band are inconclusive,
# not "no effect".

# %% PARAMS

# %%
from dephn import plotting
from dephn.study import items, open_study, table

study = open_study(profile, out_dir, seeds=seeds, criteo_path=criteo_path,
                   aliccp_path=aliccp_path, wechat_path=wechat_path)
print(f"profile {study.profile.name}: {len(table.ABLATIONS)} ablations x 2 data sets x {len(study.profile.seeds)} seeds")

# %%
# NBVAL_IGNORE_OUTPUT
results = study.run(table.ablations(study))
tasks = study.dataset("criteo-ur").schema.tasks
gains = items.paired_gains(results, tasks, baseline=table.FULL)

# %% [markdown]
# ## Each ablation against full DEPHN

# %%
# NBVAL_IGNORE_OUTPUT
fig = plotting.method_gains(gains, title="Ablations of DEPHN: paired test-AUC change against full DEPHN "
                                         "(mean, 95% interval, ★ p < 0.05)")
study.save_figure(fig, "ablations", title="Which part of DEPHN carries the result?",
                  caption="Paired test-AUC difference of each ablation against full DEPHN on the same seeds, mean "
                          "and 95% interval; ★ = p < 0.05.", source="10_ablations")
plotting.show(fig, interactive=False)

# %%
# NBVAL_IGNORE_OUTPUT
table = items.gain_table(gains, results)
study.save_table(table.round(5), "ablations", title="Ablations against full DEPHN",
                 caption="diff = mean paired test-AUC difference (ablation − full), lo/hi = 95% interval, "
                         "detectable = smallest difference the paired test detects with 80% power at this n; "
                         "parameters = the ablated model's parameter count.", source="10_ablations")
table.round(4)
