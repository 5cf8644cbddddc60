"""`digimon build`: the flash tree and its footprint."""

from digimon.build import build, footprint


def add_arguments(p):
    pass


def main(args):
    fs = build()
    sizes = footprint(fs)
    for part, size in sorted(sizes.items()):
        print("%-12s %8d bytes" % (part, size))
    print("%-12s %8d bytes  (%s)" % ("total", sum(sizes.values()), fs))
    return 0
