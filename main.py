"""Start the firmware (on a board after boot.py; on Linux: micropython main.py --p1 ...)."""
import sys

from firmware import app

sys.exit(app.main(sys.argv[1:]))
