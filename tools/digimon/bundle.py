"""`digimon bundle --out FILE`: an OTA bundle for POST /update.

A bundle is the app slot's MANIFEST (the version, then "<sha256> <size> <path>" per
file) followed by those files' bytes in the same order, so the device can check and
write it as it streams in (firmware/ota.py).
"""

from pathlib import Path

from digimon.build import MANIFEST, ROOT, SLOT, build, read_manifest


def write_bundle(app, out):
    """Bundle the app slot folder `app` into file `out`; returns (version, files, bytes)."""
    app = Path(app)
    version, files = read_manifest(app)
    with open(out, "wb") as f:
        f.write((app / MANIFEST).read_bytes())
        for _digest, _size, path in files:
            f.write((app / path).read_bytes())
    return version, len(files), Path(out).stat().st_size


def add_arguments(p):
    p.add_argument("--out", required=True, help="the bundle file to write, e.g. digimon.bundle")
    p.add_argument("--version", help="stamp this version instead of firmware/version.py's "
                                     "(built apart, in build/fs-<version>)")


def main(args):
    fs = build() if args.version is None else \
        build(ROOT / "build" / ("fs-" + args.version), args.version)
    version, count, size = write_bundle(fs / SLOT, args.out)
    print("%s: digimon %s, %d files, %d bytes (from %s)" % (args.out, version, count, size,
                                                             fs / SLOT))
    print("upload it at http://<device>/update, or: curl -u USER:PASSWORD "
          "--data-binary @%s http://<device>/update" % args.out)
    return 0
