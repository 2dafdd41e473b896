# %% [markdown]
# # 03 · The eight γ functions of the virtual gradient (paper Fig. 4)
#
# DEPHN multiplies the gradient that reaches gate $G^t_{kp}$ by
# $c^t_{kp} = \prod_{j\ne t} \gamma(x_{jt}, y^{jt}_{kp})$, where $x$ is the label correlation of
# the two tasks in the batch and $y$ the (clipped) difference of their gate values; the forward
# value is unchanged. Values above 1 strengthen the gate's learning, below 1 weaken it.
#
# **What to look at:** the multiplicative family concentrates its effect where both $x$ and $y$
# are large; the additive family acts along the diagonal $x + y = 1$ (where it is smallest).
# The paper's final choice is `add_sqrt` with Pearson correlation.

# %% PARAMS

# %%
from dephn import plotting
from dephn.study import open_study
from dephn.virtual_gradient import GAMMAS

study = open_study(profile, out_dir, seeds=seeds, criteo_path=criteo_path,
                   aliccp_path=aliccp_path, wechat_path=wechat_path)

# %% [markdown]
# All eight functions on $[0,1]^2$ (x: label correlation, y: gate difference), one colour scale.

# %%
# NBVAL_IGNORE_OUTPUT
fig = plotting.gamma_heatmaps(GAMMAS)
study.save_figure(fig, "fig4_gamma_functions", title="Fig. 4 · the eight γ functions",
                  caption="γ(x, y) over label correlation x and gate difference y.",
                  source="03_gamma_functions")
plotting.show(fig, interactive=False)

# %% [markdown]
# Values at a few points (these must not drift: the notebook check compares them).

# %%
# NBVAL_CHECK_OUTPUT
import pandas as pd
points = [(0.0, 0.0), (1.0, 1.0), (0.0, 1.0), (0.5, 0.5), (0.25, 0.75), (0.9877, 0.1), (0.5288, 0.1)]
table = pd.concat([plotting.gamma_point_table(x, y).assign(x=x, y=y) for x, y in points])
table = table.pivot(index=["x", "y"], columns="gamma", values="value").round(4)
study.save_table(table.reset_index(), "gamma_values", title="γ at selected points",
                 source="03_gamma_functions")
print(table.to_string())

# %% [markdown]
# **Explore:** pick a function and move the point; the readout lists every γ at that point.

# %%
# NBVAL_IGNORE_OUTPUT
plotting.show(plotting.gamma_explorer("add_sqrt", 0.5, 0.5), interactive=interactive)
