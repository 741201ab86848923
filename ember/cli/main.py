"""The `ember` command: `ember demo`, `ember train`, `ember eval`, `ember optimizers`,
`ember info`, `ember bench`. A mistake in the arguments exits with status 2 and one line saying
what is wrong (the traceback only with --debug)."""

from __future__ import annotations

import argparse
import os
import sys
import traceback

from .common import CLIError

COMMANDS = {
    "demo": "the tour: perceptron, Bayes, softmax regression and an MLP, entropy, optimizers",
    "train": "train a model on a data set",
    "eval": "evaluate a checkpoint written by `ember train`",
    "optimizers": "race the optimizers on a test function and draw their paths",
    "info": "ember's version, NumPy and its BLAS, CUDA",
    "bench": "CPU-vs-GPU benchmarks: matmul GFLOP/s, MLP and CNN training steps",
}


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, not a usage dump
        raise CLIError(f"{message} (see `{self.prog} --help`)")


def _module(name: str):
    from . import bench, demo, evaluate, info, optimizers, train
    return {"demo": demo, "train": train, "eval": evaluate, "optimizers": optimizers,
            "info": info, "bench": bench}[name]


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="ember", description="ember: train, evaluate and see results.")
    parser.add_argument("--debug", action="store_true", help="show full tracebacks")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, help_text in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("--debug", action="store_true", help="show full tracebacks")
        _module(name).add_arguments(p)
    return parser


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return 2
        return _module(args.command).run(args)
    except CLIError as err:
        if debug:
            traceback.print_exc()
        print(f"ember: error: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `ember eval ... | head`: the reader left; nothing to report
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        print("ember: interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # an unexpected failure: one line unless --debug
        if debug:
            traceback.print_exc()
        first = str(err).splitlines()[0] if str(err) else ""
        print(f"ember: error: {type(err).__name__}: {first} (run with --debug for the "
              "traceback)", file=sys.stderr)
        return 1
