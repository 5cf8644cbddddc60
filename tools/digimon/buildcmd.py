"""`digimon build`: the flash tree and its footprint."""

from digimon.build import SLOT, blocks, build, footprint


def add_arguments(p):
    pass


def main(args):
    fs = build()
    sizes = footprint(fs)
    for part, size in sorted(sizes.items()):
        print("%-12s %8d bytes" % (part, size))
    print("%-12s %8d bytes  (%s)" % ("total", sum(sizes.values()), fs))
    print("on flash     %8d bytes  in 4 KB blocks; an update needs about %d KB more for "
          "the second slot" % (blocks(fs), blocks(fs / SLOT) // 1024))
    return 0
