"""A study's output folder and the few calls every notebook makes.

    outputs/<profile>/
        results/          the results store (records + artefacts of every run)
        figures/          every figure (HTML + PNG + plotly JSON, index.json)
        tables/           every table (CSV, index.json)
        notebooks/        the executed notebooks
        claims.json       the claims summary
        study.json        profile, code version, data fingerprints, notebook timings
A smoke run writes to outputs/smoke and so never overwrites the cpu results.
"""
from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Iterable, Sequence

import pandas as pd
import torch

from ..config import ModelConfig
from ..data.datasets import load_dataset
from ..data.encoded import EncodedDataset
from ..data.readers.wechat import WECHAT_PAPER_TASKS
from ..data.standins import aliccp_standin, wechat_standin
from ..experiments.recorder import Recorder
from ..experiments.runs import RunSpec
from ..experiments.store import ResultsStore
from ..experiments.sweep import run_sweep
from ..fileio import atomic_write
from ..models import build_model
from ..plotting.save import save_figure
from ..virtual_gradient import VGSetting
from .profiles import DEFAULT_PROFILE, Profile, get_profile
from .request import Request, as_request, grid_table, resolve

def _default_root() -> Path:
    """outputs/ of the checkout the package runs from (notebooks run with notebooks/ as their
    working directory and must find what `dephn study` wrote), else ./outputs."""
    root = Path(__file__).resolve().parents[2]
    if (root / "pyproject.toml").is_file() and (root / "notebooks").is_dir():
        return root / "outputs"
    return Path("outputs")


DEFAULT_ROOT = _default_root()
STANDINS = {"aliccp": aliccp_standin, "wechat": wechat_standin}
STANDIN_ROWS = 50_000                 # rows of a stand-in when the profile caps no real data set


class Study:
    def __init__(self, profile: Profile, out_dir: str | Path | None = None, *,
                 data_paths: dict[str, str | None] | None = None):
        self.profile = profile
        self.out = Path(out_dir) if out_dir else DEFAULT_ROOT / profile.name
        self.data_paths = {k: v for k, v in (data_paths or {}).items()}
        self.store = ResultsStore(self.out / "results")
        self.figures_dir = self.out / "figures"
        self.tables_dir = self.out / "tables"
        self._datasets: dict[str, EncodedDataset] = {}

    @classmethod
    def open(cls, profile: str | Profile = DEFAULT_PROFILE, out_dir=None, *, data_paths=None,
             **overrides) -> "Study":
        """`profile`: a Profile or its name; `overrides` change profile fields (e.g. seeds=[0, 1]);
        None values are ignored."""
        base = profile if isinstance(profile, Profile) else get_profile(profile)
        return cls(base.replace(**overrides), out_dir, data_paths=data_paths)

    # -- data ------------------------------------------------------------------------
    def data_options(self, dataset: str, headline: bool = False) -> dict:
        """load_dataset options of a data set; `headline` runs read the profile's larger
        generated Criteo data (`headline_rows`) when it has one."""
        if dataset.startswith("criteo") and self.data_paths.get(dataset) is None:
            return {"rows": (self.profile.headline_rows if headline else None) or self.profile.rows}
        if dataset == "wechat":          # the paper's three WeChat tasks (Table II)
            opts = {"tasks": list(WECHAT_PAPER_TASKS)}
        else:
            opts = {}
        if self.data_paths.get(dataset) is not None and self.profile.real_rows:
            opts["rows"] = self.profile.real_rows
        return opts

    def source(self, name: str) -> str | None:
        """The path a data set is read from: the user's, or a generated stand-in for the real
        data sets that cannot ship (Ali-CCP, WeChat-2021; written by `prepare`), or None
        (embedded Criteo)."""
        if self.data_paths.get(name) is not None or name not in STANDINS:
            return self.data_paths.get(name)
        target = self.out / "standins" / f"{name}-{self.profile.real_rows or STANDIN_ROWS}"
        return str(target.with_suffix(".csv") if name == "aliccp" else target)

    def prepare(self, datasets: Iterable[str]) -> None:
        """Write the generated stand-in files of these data sets, where they are missing."""
        for name in sorted(set(datasets) & set(STANDINS)):
            if self.data_paths.get(name) is None:
                Path(self.source(name)).parent.mkdir(parents=True, exist_ok=True)
                STANDINS[name](self.source(name), self.profile.real_rows or STANDIN_ROWS)

    def dataset(self, name: str, options: dict | None = None, *, headline: bool = False) -> EncodedDataset:
        """A data set as the study's runs read it: with `options` (a run's data options), else the
        profile's (`headline`: the headline comparisons' size)."""
        options = self.data_options(name, headline) if options is None else options
        key = json.dumps([name, options], sort_keys=True)
        if key not in self._datasets:
            self.prepare([name])
            self._datasets[key] = load_dataset(name, self.source(name), **options)
        return self._datasets[key]

    def dataset_of(self, run_id: str) -> EncodedDataset:
        """The data set a recorded run trained on."""
        rec = self.store.get(run_id)
        return self.dataset(rec["dataset"], rec.get("data_options") or {})

    # -- runs ------------------------------------------------------------------------
    def spec(self, model: str, dataset: str, seed: int, *, label: str = "", save_model: bool = False,
             vg: VGSetting | None = None, train: dict | None = None, headline: bool = False,
             rows: int | None = None, **model_options) -> RunSpec:
        """A run of this study; `label` names it in tables (default: its virtual-gradient setting
        and balancing method); `train` overrides training options (e.g. the gate optimizer);
        `headline` runs get the profile's headline epoch cap, patience and data size; `rows` sets
        the size of generated Criteo data instead."""
        opts = {**self.profile.model_options, **model_options}
        topts = {**self.profile.train_options(), **(train or {})}
        if headline:
            topts["patience"] = self.profile.headline_patience
            if self.profile.headline_epochs:
                topts["epochs"] = self.profile.headline_epochs
        if vg is not None:
            topts["vg"] = vg.label
        data_options = self.data_options(dataset, headline)
        if rows and "rows" in data_options and self.data_paths.get(dataset) is None:
            data_options["rows"] = rows
        return RunSpec(model=model, dataset=dataset, seed=seed, data=self.source(dataset),
                       model_options=opts, train_options=topts,
                       data_options=data_options, label=label, save_model=save_model)

    def run(self, asked: Request | Sequence[RunSpec], *, force: bool = False) -> pd.DataFrame:
        """Train what a request (or a list of runs) needs that is not in the results store yet
        (`request.resolve`: the grids first, then the chosen rates); return its runs' records."""
        return resolve(as_request(asked), self.profile, lambda specs: self.sweep(specs, force=force), self.read)

    def sweep(self, specs: Sequence[RunSpec], *, force: bool = False, log=None) -> pd.DataFrame:
        """Run these specs in this process where the store lacks them; return their records. Progress
        goes to standard output (a notebook shows it as ordinary output, not as an error)."""
        self.prepare(s.dataset for s in specs)
        return run_sweep(specs, self.store.root, force=force, quiet=True, log=log or _progress,
                         load=lambda s: self.dataset(s.dataset, s.data_options))

    def read(self, specs: Sequence[RunSpec]) -> pd.DataFrame:
        """The records of runs already trained (`sweep` without its summary line)."""
        return self.sweep(specs, log=lambda _: None)

    def grid_table(self, asked: Request) -> pd.DataFrame:
        """The learning-rate grids of a request's tuned configurations (`request.grid_table`)."""
        return grid_table(asked, self.profile, self.read)

    def record(self, run_id: str) -> dict:
        return self.store.get(run_id)

    def load_model(self, run_id: str):
        """The trained model of a run saved with save_model=True, in eval mode."""
        rec = self.store.get(run_id)
        model = build_model(rec["model"], self.dataset_of(run_id).feature_spec,
                            ModelConfig.from_dict(rec["model_options"]))
        state = torch.load(self.store.artifacts(run_id) / "model.pt", map_location="cpu", weights_only=True)
        model.load_state_dict(state)
        return model.eval()

    def recorder(self, run_id: str) -> Recorder:
        return Recorder.load(self.store.artifacts(run_id))

    # -- outputs ---------------------------------------------------------------------
    def save_figure(self, fig, name: str, *, title: str, caption: str = "", source: str = ""):
        return save_figure(fig, name, self.figures_dir, title=title, caption=caption, source=source)

    def save_table(self, table: pd.DataFrame, name: str, *, title: str, caption: str = "",
                   source: str = "") -> Path:
        self.tables_dir.mkdir(parents=True, exist_ok=True)
        path = atomic_write(self.tables_dir / f"{name}.csv", table.to_csv(index=False).encode())
        _update_index(self.tables_dir / "index.json", {"name": name, "title": title, "caption": caption,
                                                        "source": source, "file": path.name})
        return path

    def tables(self) -> dict[str, pd.DataFrame]:
        idx = self.tables_dir / "index.json"
        if not idx.exists():
            return {}
        return {e["name"]: pd.read_csv(self.tables_dir / e["file"]) for e in json.loads(idx.read_text())}

    def describe(self) -> dict:
        return {"profile": asdict(self.profile), "out": str(self.out), "data_paths": self.data_paths}


def _progress(message: str) -> None:
    print(message, flush=True)


def _update_index(path: Path, entry: dict) -> None:
    entries = json.loads(path.read_text()) if path.exists() else []
    entries = [e for e in entries if e["name"] != entry["name"]] + [entry]
    atomic_write(path, json.dumps(entries, indent=1).encode())


def open_study(profile: str | Profile = DEFAULT_PROFILE, out_dir=None, *, seeds=None, criteo_path=None, aliccp_path=None,
               wechat_path=None) -> Study:
    """What every notebook's first code cell calls with its parameters."""
    paths = {"criteo-r": criteo_path, "criteo-ur": criteo_path, "aliccp": aliccp_path, "wechat": wechat_path}
    return Study.open(profile, out_dir, data_paths=paths, seeds=seeds)
