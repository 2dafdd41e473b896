"""The `dephn` command line (also `python -m dephn`): the top layer of the package.

One module per command family adds its subparsers (`add_parser(subparsers)`); this module
dispatches and turns user errors into one clear line and a non-zero exit, never a traceback.
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
