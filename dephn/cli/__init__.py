"""The `dephn` command line (also `python -m dephn`): the top layer of the package.

One module per command family adds its subparsers (`add_parser(subparsers)`); this module
dispatches and turns user errors into one clear line and a non-zero exit, never a traceback: a bad flag
is refused where it is parsed (`args`: its type), before any data loads or any run trains.
Nothing below `dephn.cli` imports it.
"""
from __future__ import annotations

import argparse
import sys

from .. import __version__
from ..errors import DephnError
from . import data, report, study, sweep, train
from .args import Parser

FAMILIES = (data, train, sweep, study, report)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="dephn", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"dephn {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for family in FAMILIES:
        family.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:         # a bad flag (1) is returned like any bad input; --help, --version,
        if stop.code != 1:             # no or an unknown command (0, 2) still exit
            raise
        return 1
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        result = args.func(args)
    except (DephnError, argparse.ArgumentTypeError, OSError) as e:   # a flag's check of a computed default; a
        print(f"dephn: error: {e}", file=sys.stderr)                   # file system that refuses a write
        return 1
    except KeyboardInterrupt:
        print("dephn: interrupted", file=sys.stderr)
        return 130
    return int(result or 0)
