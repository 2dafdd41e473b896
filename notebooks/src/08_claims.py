# %% [markdown]
# # 08 · Summary: which of the paper's claims this run reproduces
#
# Generated from the results store: each claim is a paired comparison over this run's seeds.
# ✓ = the paper's direction holds with p < 0.05; ✗ = the opposite holds with p < 0.05;
# – = inconclusive at this many seeds (the difference is inside the seed-to-seed spread).
# Run the `cpu` or `paper` profile for claims that mean something; `smoke` only checks the path.

# %% PARAMS

# %%
from dephn.study import open_study
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
