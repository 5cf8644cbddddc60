"""Start the firmware: on a board after boot.py; on Linux `micropython main.py --p1 ...`
in the folder that stands for the flash. A crash resets the device, as the watchdog
would, so that boot.py counts a failed start of a new version."""
import sys

if sys.platform != "esp32":
    import boot  # a board runs boot.py before main.py by itself

    boot.start()
    del sys.modules["boot"], boot  # its work is done: no heap for it
if sys.path[0].rpartition("/")[0].endswith("/app"):  # the slot boot.py chose
    import os

    os.chdir(sys.path[0])
    # relative from here on: a module's __file__ is then "firmware/core/dsmr.mpy", the
    # same text as the source name the build gives it, so the two share one qstr
    sys.path[:] = ["", "lib"] + [p for p in sys.path[2:] if p not in ("", "lib")]

try:
    from firmware import app

    rc = app.main(sys.argv[1:])
except Exception as e:  # not KeyboardInterrupt: Ctrl-C gives the REPL (deploy)
    sys.print_exception(e)
    rc = 3
    if sys.platform == "esp32":
        import machine

        machine.reset()
sys.exit(rc)
