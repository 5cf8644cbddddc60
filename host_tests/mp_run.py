"""Run test_* functions of the given modules under MicroPython; print 'N passed, N failed'.

usage: micropython host_tests/mp_run.py host_tests.core.test_dsmr_core [...]
"""
import sys


def main(names):
    passed = failed = 0
    for name in names:
        mod = __import__(name, None, None, ["x"])
        for attr in sorted(dir(mod)):
            fn = getattr(mod, attr)
            if attr.startswith("test_") and callable(fn):
                try:
                    fn()
                    passed += 1
                except Exception as e:
                    failed += 1
                    print("FAIL %s.%s" % (name, attr))
                    sys.print_exception(e)
    print("micropython: %d passed, %d failed" % (passed, failed))
    return 1 if failed or not passed else 0


sys.exit(main(sys.argv[1:]))
