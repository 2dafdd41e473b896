# %% [markdown]
# # 08 · Summary: which of the paper's claims this run reproduces
#
# Generated from the results store: each claim is a paired comparison over this run's seeds.
# ✓ = the paper's direction holds with p < 0.05; ✗ = the opposite holds with p < 0.05;
# – = inconclusive at this many seeds (the difference is inside the seed-to-seed spread).
# Run the `cpu` or `paper` profile for claims that mean something; `smoke` only checks the path.

# %% PARAMS

# %%
from dephn import plotting
from dephn.study import items, open_study, table
from dephn.study.claims import evaluate_claims

study = open_study(profile, out_dir, seeds=seeds, criteo_path=criteo_path,
                   aliccp_path=aliccp_path, wechat_path=wechat_path)

# %%
# NBVAL_IGNORE_OUTPUT
claims = evaluate_claims(study)
claims["reproduced"] = claims["reproduced"].map({True: "✓", False: "✗"}).fillna("–")
study.save_table(claims, "claims", title="Claims summary", source="08_claims",
                 caption="✓ reproduced (p < 0.05), ✗ contradicted (p < 0.05), – inconclusive.")
claims.style.hide(axis="index") if hasattr(claims, "style") else claims

# %% [markdown]
# ## Did the runs converge?
# Every run trains until early stopping (no validation-AUC gain for `patience` epochs) or the
# profile's epoch cap. A run that hit the cap did not converge: its numbers are those of a model
# still learning. The first table counts the headline comparisons' runs (Table I, TVG vs MG,
# MMoE vs DEPHN) and the ablations, which must converge; the second the sweeps, which the `cpu`
# profile narrows to a short epoch cap on purpose (`cpu-full` runs them to convergence too). The
# curves show the mean validation AUC per epoch of the headline comparison MMoE vs DEPHN.

# %%
# NBVAL_IGNORE_OUTPUT
headline = study.run(table.table1(study) + table.gating(study) + table.ablations(study))
conv = items.convergence(headline)
study.save_table(conv.round(3), "convergence", title="Did the headline runs converge?",
                 caption="Per model, runs of the headline comparisons and ablations: runs that stopped on their own "
                         "(early stopping), their share, median best epoch, runs that hit the epoch cap.",
                 source="08_claims")
p = study.profile
print(f"headline comparisons and ablations: {int(conv['converged'].sum())} of {int(conv['runs'].sum())} runs "
      f"stopped on their own (epoch cap {p.headline_epochs or p.epochs}, patience {p.headline_patience})")
conv.round(3)

# %%
# NBVAL_IGNORE_OUTPUT
sweeps = items.convergence(study.run(table.vg_sweep(study) + table.balancing(study) + table.table2(study)))
study.save_table(sweeps.round(3), "convergence_sweeps", title="Did the sweep runs converge?",
                 caption="The same counts for the sweeps of notebooks 04, 07 and 09.", source="08_claims")
print(f"sweeps: {int(sweeps['converged'].sum())} of {int(sweeps['runs'].sum())} runs stopped on their own "
      f"(epoch cap {p.epochs}, patience {p.patience})")
sweeps.round(3)

# %%
# NBVAL_IGNORE_OUTPUT
curves = items.learning_frame(study, study.run(table.confidence(study)))
fig = plotting.loss_curves(curves, by="model", y="valid_auc", x_title="epoch", y_title="validation AUC (mean over tasks)",
                           title="Learning curves: MMoE vs DEPHN on Criteo-UR (mean and min–max over seeds)")
study.save_figure(fig, "learning_curves", title="Learning curves of the headline comparison",
                  caption="Mean validation AUC over tasks after each epoch; line = mean, band = min–max over seeds.",
                  source="08_claims")
plotting.show(fig, interactive=False)
