"""The `digimon` command: run, meter, sim, build, bundle, deploy, bench."""

import argparse
import importlib
import sys

COMMANDS = (
    ("run", "digimon.run", "run the firmware on the MicroPython unix port"),
    ("meter", "digimon.meter", "simulated P1 meter on a pty or TCP port"),
    ("sim", "digimon.sim", "the simulated Belgian meter and the firmware together"),
    ("build", "digimon.buildcmd", "build the board's flash tree in build/fs"),
    ("bundle", "digimon.bundle", "an OTA bundle of the built app for POST /update"),
    ("deploy", "digimon.deploy", "copy the built tree to a board over USB (mpremote)"),
    ("bench", "digimon.bench", "benchmarks: a table on stdout, JSON in build/bench.json"),
)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="digimon", description="digimon P1 monitor host tools")
    sub = parser.add_subparsers(dest="command", required=True)
    argv = sys.argv[1:] if argv is None else argv
    chosen = [c for c in COMMANDS if c[0] in argv[:1]] or COMMANDS  # import what is used
    modules = {}
    for name, module, help_text in chosen:
        mod = importlib.import_module(module)
        mod.add_arguments(sub.add_parser(name, help=help_text, description=help_text))
        modules[name] = mod
    args = parser.parse_args(argv)
    return modules[args.command].main(args) or 0


if __name__ == "__main__":
    sys.exit(main())
