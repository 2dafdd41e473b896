"""The `dephn` command line (also `python -m dephn`).

Each command family lives beside the code it drives and contributes its
subparsers through `add_parser(subparsers)`; this module only dispatches and
turns user errors into one clear line and a non-zero exit, never a traceback.
"""
from __future__ import annotations

import argparse
import importlib
import sys

from . import __version__
from .errors import DephnError

# modules providing `add_parser(subparsers)`; each sets `func` on its parsers
COMMAND_MODULES = (
    "dephn.data.commands",
    "dephn.train.commands",
    "dephn.experiments.commands",
    "dephn.study.commands",
    "dephn.report_commands",
    "dephn.bench.commands",
)


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse's usage errors: one line, exit 2
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="dephn", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"dephn {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for mod_name in COMMAND_MODULES:
        try:
            mod = importlib.import_module(mod_name)
        except ModuleNotFoundError as e:
            if e.name == mod_name:  # family not built yet
                continue
            raise
        mod.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        result = args.func(args)
    except DephnError as e:
        print(f"dephn: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("dephn: interrupted", file=sys.stderr)
        return 130
    return int(result or 0)


if __name__ == "__main__":
    raise SystemExit(main())
