"""What every command shares: the parser class, KEY=VALUE options, seeds, data and training
flags, threads, worker processes, and the one default study profile."""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
from pathlib import Path

import torch

from ..errors import DephnError
from ..study.profiles import DEFAULT_PROFILE, PROFILES
from ..train.balance import BALANCERS
from ..virtual_gradient import VGSetting, parse_settings

__all__ = ["DEFAULT_PROFILE", "Parser", "a_path", "add_data_args", "add_profile_arg", "add_threads_arg",
           "add_train_args", "add_workers_args", "apply_threads", "balance_method", "balance_methods",
           "data_options", "in_dir", "in_file", "in_path", "names", "non_negative_int", "out_dir", "out_file",
           "parse_seeds", "parse_set", "positive_float", "positive_int", "seed_list", "train_options", "vg_setting",
           "vg_settings", "worker_options"]


class Parser(argparse.ArgumentParser):
    """argparse's errors: `dephn: error: ...`, one line and exit 1 like every other bad input (`DephnError`);
    only a command line that names no known command (`dephn`, `dephn data`) gets the usage and exit 2."""
    def error(self, message):
        no_command = self._subparsers is not None and not message.startswith("unrecognized")
        if no_command:
            self.print_usage(sys.stderr)
        print(f"dephn: error: {message}" + ("" if no_command else f" (see {self.prog} -h)"), file=sys.stderr)
        raise SystemExit(2 if no_command else 1)


def parse_set(items, flag: str = "--set") -> dict:
    """KEY=VALUE pairs; VALUE parsed as JSON where it is JSON (64, 0.5, true, [64,32]), else kept as
    text ("64,32", "add_sqrt/pearson"). Config classes convert the text to each field's type."""
    out = {}
    for item in items or ():
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise DephnError(f"{flag} {item!r}: expected KEY=VALUE")
        try:
            val = json.loads(raw)
        except json.JSONDecodeError:
            val = raw
        out[key.replace("-", "_")] = val
    return out


def parse_seeds(text: str) -> list[int]:
    """"0,1,2" | "0-4" | "0-2,7" -> seeds, in order, without repeats."""
    seeds: list[int] = []
    try:
        for part in text.split(","):
            lo, sep, hi = part.strip().partition("-")
            if sep and int(hi) < int(lo):
                raise DephnError(f"seeds {text!r}: the range {part.strip()} runs backwards (write {hi}-{lo})")
            values = range(int(lo), int(hi) + 1) if sep else [int(lo)]
            seeds += [s for s in values if s not in seeds]
    except ValueError:
        raise DephnError(f"seeds {text!r}: expected e.g. 0,1,2 or 0-4") from None
    if not seeds:
        raise DephnError(f"seeds {text!r}: no seed given")
    return seeds


# -- flag types: a flag's text becomes its typed value where it is parsed ---------------------
# (argparse `type=`): a bad value is one line and exit 1, before any data loads

def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None


def positive_int(text: str) -> int:
    value = _integer(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def non_negative_int(text: str) -> int:
    value = _integer(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def positive_float(text: str) -> float:
    """A finite number > 0 (learning rates): nan and inf are refused."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text!r}")
    return value


def vg_setting(text: str) -> VGSetting | None:
    """ "add_sqrt/pearson" -> VGSetting, "none" -> None; anything else (the empty text too) is refused."""
    try:
        return VGSetting.parse(text)
    except DephnError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def vg_settings(text: str) -> list[VGSetting | None]:
    """Comma-separated: none, all, or GAMMA/CORR items (sweeps)."""
    try:
        return parse_settings(text.split(","))
    except DephnError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def balance_method(text: str) -> str:
    """A gradient-balancing method of `dephn.train.balance.BALANCERS` ("none": off)."""
    if text not in BALANCERS:
        raise argparse.ArgumentTypeError(f"balancing method {text!r}: expected one of {', '.join(BALANCERS)}")
    return text


def balance_methods(text: str) -> list[str]:
    """Comma-separated balancing methods (sweeps)."""
    return [balance_method(item) for item in text.split(",")]


def names(text: str) -> list[str]:
    """Comma-separated names, none empty (models, data sets)."""
    items = [item.strip() for item in text.split(",")]
    if not all(items):
        raise argparse.ArgumentTypeError(f"expected comma-separated names, got {text!r}")
    return items


def seed_list(text: str) -> list[int]:
    """`parse_seeds` as a flag type."""
    try:
        return parse_seeds(text)
    except DephnError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


# -- paths: refused where the flag is parsed, before anything loads or trains ---------------

def a_path(text: str) -> str:
    """Any path but the empty one (which would name the current folder, or nothing)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("expected a path, got ''")
    return text


def in_path(text: str) -> str:
    """An existing file or folder to read."""
    if not Path(a_path(text)).exists():
        raise argparse.ArgumentTypeError(f"not found: {text}")
    return text


def in_dir(text: str) -> str:
    """An existing folder to read."""
    if not Path(in_path(text)).is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a file, not a folder")
    return text


def _may_write_in(path: Path, text: str) -> str:
    """`text`, if the nearest existing folder at or above `path` is a folder this process may write in."""
    while not path.exists():
        path = path.parent
    if not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text}: {path} is a file, not a folder")
    if not os.access(path, os.W_OK | os.X_OK):
        raise argparse.ArgumentTypeError(f"{text}: cannot write in {path} (read-only)")
    return text


def out_dir(text: str) -> str:
    """A folder to write into (made if missing)."""
    if Path(a_path(text)).exists() and not Path(text).is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a file, not a folder")
    return _may_write_in(Path(text), text)


def out_file(text: str) -> str:
    """A file to write (replaced if there)."""
    if Path(a_path(text)).is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a folder, not a file")
    return _may_write_in(Path(text).parent, text)


def in_file(text: str) -> str:
    """An existing file to read."""
    if not Path(a_path(text)).is_file():
        raise argparse.ArgumentTypeError(f"{text} is a folder, not a file" if Path(text).is_dir() else
                                         f"file not found: {text}")
    return text


# -- threads -------------------------------------------------------------------------------

def add_threads_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--threads", type=positive_int, default=None,
                   help="torch CPU threads (default: torch's, usually the number of cores)")


def apply_threads(args) -> None:
    if getattr(args, "threads", None) is not None:     # >= 1: the flag's type
        torch.set_num_threads(args.threads)


# -- workers -------------------------------------------------------------------------------

def add_workers_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("workers")
    g.add_argument("--workers", type=positive_int, default=None,
                   help="run the runs over N worker processes (or Ray tasks); --threads is then per worker "
                        "(default: the cores shared out)")
    g.add_argument("--engine", choices=("local", "ray"), default="local",
                   help="local: worker processes on this machine (default); ray: Ray tasks (pip install 'dephn[ray]')")
    g.add_argument("--ray-address", default=None, help="with --engine ray: the cluster (default: a local Ray instance)")


def worker_options(args) -> dict | None:
    """run_parallel's options, or None to run in this process (no --workers, --engine local)."""
    if args.workers is None:
        if args.engine != "local" or args.ray_address:
            raise DephnError("--engine and --ray-address go with --workers N")
        return None
    if args.ray_address and args.engine != "ray":
        raise DephnError("--ray-address needs --engine ray")
    return {"workers": args.workers, "engine": args.engine, "threads": args.threads, "ray_address": args.ray_address}


# -- profile ---------------------------------------------------------------------------------

def add_profile_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--profile", default=DEFAULT_PROFILE,
                   help=f"{' | '.join(PROFILES)} (default {DEFAULT_PROFILE})")


# -- data ------------------------------------------------------------------------------------

def add_data_args(p: argparse.ArgumentParser, *, dataset_default: str | None = "criteo-ur") -> None:
    """The one set of data flags of every command that reads a data set."""
    g = p.add_argument_group("data")
    g.add_argument("--dataset", default=dataset_default, required=dataset_default is None,
                   help="data set name (`dephn data list`): criteo, criteo-r, criteo-ur, aliccp, aliexpress, "
                        "wechat, csv")
    g.add_argument("--data", type=a_path, help="source file or folder (default for criteo*: the embedded generator)")
    g.add_argument("--train", dest="train_file", type=in_file, help="your own train file (with --valid and --test)")
    g.add_argument("--valid", dest="valid_file", type=in_file, help="your own validation file")
    g.add_argument("--test", dest="test_file", type=in_file, help="your own test file")
    g.add_argument("--rows", type=positive_int, help="generated rows (embedded source) or rows read per file")
    g.add_argument("--split", default=None,
                   help="train,valid,test fractions of the split, e.g. 0.8,0.1,0.1 (default)")
    g.add_argument("--split-method", default=None, choices=("hash", "random"),
                   help="hash: each row by a hash of (split seed, row), fractions on average (default); "
                        "random: a seeded permutation, exact fractions")
    g.add_argument("--split-seed", type=non_negative_int, help="seed of the split (default 0), not the model's")
    g.add_argument("--on-bad-lines", choices=("error", "skip"), default=None,
                   help="malformed lines: stop with file, line and column (default) or skip and count them")
    g.add_argument("--min-count", type=non_negative_int, help="training occurrences a category needs for its own id")
    g.add_argument("--cache-dir", type=out_dir,
                   help="processed-data cache ($DEPHN_CACHE, else the checkout's data/cache)")
    g.add_argument("--data-option", "--option", dest="data_option", action="append", metavar="KEY=VALUE", default=[],
                   help="any other load_dataset / reader option (e.g. spec=schema.json), repeatable")


FLAG_OPTIONS = {"rows": "rows", "split_seed": "split_seed", "split_method": "split_method",
                "on_bad_lines": "on_bad_lines", "min_count": "min_count", "cache_dir": "cache_dir"}


def data_path(args):
    """--data, or the user's own {train, valid, test} files."""
    own = [args.train_file, args.valid_file, args.test_file]
    if not any(own):
        return args.data
    if not all(own):
        raise DephnError("--train, --valid and --test go together")
    if args.data:
        raise DephnError("give either --data or --train/--valid/--test, not both")
    return {"train": args.train_file, "valid": args.valid_file, "test": args.test_file}


def data_options(args) -> dict:
    """load_dataset keyword arguments from the flags and --data-option; a key given both ways is an error."""
    opts = parse_set(args.data_option, "--data-option")
    if isinstance(opts.get("split"), str) and "," in opts["split"]:    # split=0.8,0.1,0.1 as with --split
        opts["split"] = _fractions(opts["split"], "--data-option split")
    flags = {key: getattr(args, attr) for attr, key in FLAG_OPTIONS.items() if getattr(args, attr) is not None}
    if args.split is not None:
        flags["split"] = _fractions(args.split, "--split")
    both = sorted(set(opts) & set(flags))
    if both:
        raise DephnError(f"{', '.join(both)} given both as a flag and as --data-option; keep one")
    opts.update(flags)
    split = [key for key in ("split", "split_method", "split_seed") if key in opts]
    if split and args.train_file:
        raise DephnError(f"{', '.join(split)}: the --train/--valid/--test files are the split; these are for one file")
    if isinstance(opts.get("spec"), str):
        try:
            in_file(opts["spec"])
        except argparse.ArgumentTypeError as e:
            raise DephnError(f"--data-option spec: {e}") from None
    return opts


def _fractions(text: str, flag: str) -> list[float]:
    """Three fractions, each > 0: a run stops early on its validation rows and reports its test rows."""
    try:
        values = [float(x) for x in text.split(",")]
    except ValueError:
        raise DephnError(f"{flag} must be three comma-separated numbers, got {text!r}") from None
    if len(values) == 3 and not all(math.isfinite(v) and v > 0 for v in values):
        raise DephnError(f"{flag} {text}: every fraction (train, valid, test) must be > 0")
    return values


# -- training ---------------------------------------------------------------------------------

def add_train_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("training")
    g.add_argument("--epochs", type=positive_int, default=None)
    g.add_argument("--batch-size", type=positive_int, default=None)
    g.add_argument("--lr", type=positive_float, default=None)
    g.add_argument("--sparse-lr", type=positive_float, default=None)
    g.add_argument("--patience", type=non_negative_int, default=None,
                   help="early stopping: epochs without valid-AUC gain")
    g.add_argument("--max-steps", type=positive_int, default=None)
    g.add_argument("--device", default=None, help="auto (default) | cpu | cuda | mps")
    g.add_argument("--precision", default=None, help="auto (bf16 on CUDA) | fp32 | bf16")
    g.add_argument("--set", action="append", metavar="KEY=VALUE", default=[],
                   help="model option (a ModelConfig field), repeatable; lists as 64, 64,32 or [64,32]")
    g.add_argument("--train-set", action="append", metavar="KEY=VALUE", default=[],
                   help="training option (a TrainConfig field), repeatable")
    add_threads_arg(g)


TRAIN_FLAGS = ("epochs", "batch_size", "lr", "sparse_lr", "patience", "max_steps", "device", "precision")


def train_options(args) -> dict:
    opts = parse_set(args.train_set, "--train-set")
    opts.update({name: getattr(args, name) for name in TRAIN_FLAGS if getattr(args, name) is not None})
    return opts
