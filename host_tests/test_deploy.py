"""digimon deploy against a real MicroPython REPL: the unix port's, on a pty.

mpremote needs a device path, and the unix port's REPL talks on its stdin/stdout: so
micropython runs on the slave of pty A (in a folder that stands for the board's flash),
a thread relays bytes between the masters of pty A and pty B, and mpremote opens the
slave of pty B as the board's serial port.
"""

import argparse
import os
import pty
import re
import select
import subprocess
import threading
import tty
import urllib.error
import urllib.request

import pytest

from digimon import deploy
from digimon.build import FS, build
from digimon.install import install_dir, tree_hashes
from digimon.run import micropython
from host_tests.device import free_port, wait_until

ENV = dict(os.environ, MICROPYPATH=".frozen")


class Board:
    """A MicroPython REPL on a serial port (self.port) whose flash is folder `flash`."""

    def __init__(self, flash):
        self.flash = flash
        flash.mkdir(parents=True, exist_ok=True)
        self.master_a, slave_a = pty.openpty()
        tty.setraw(slave_a)
        self.proc = subprocess.Popen([micropython()], stdin=slave_a, stdout=slave_a,
                                     stderr=slave_a, cwd=flash, env=ENV, start_new_session=True)
        os.close(slave_a)
        # pty B's slave stays open here too (never read): its master then lives on
        # between mpremote runs; raw, so that nothing is echoed back to micropython.
        self.master_b, self.slave_b = pty.openpty()
        tty.setraw(self.slave_b)
        self.port = os.ttyname(self.slave_b)
        self.stop_r, self.stop_w = os.pipe()
        self.relay = threading.Thread(target=self._relay, daemon=True)
        self.relay.start()

    def _relay(self):
        other = {self.master_a: self.master_b, self.master_b: self.master_a}
        while True:
            ready, _, _ = select.select([self.master_a, self.master_b, self.stop_r], [], [])
            if self.stop_r in ready:
                return
            for fd in ready:
                try:
                    data = os.read(fd, 4096)
                except OSError:  # micropython ended: pty A is gone
                    return
                while data:
                    data = data[os.write(other[fd], data):]

    def close(self):
        os.write(self.stop_w, b"x")
        self.relay.join(5)
        self.proc.kill()
        self.proc.wait(5)
        for fd in (self.master_a, self.master_b, self.slave_b, self.stop_r, self.stop_w):
            os.close(fd)


@pytest.fixture
def board(tmp_path, monkeypatch):
    monkeypatch.setattr(deploy, "TIMEOUT", 60)  # a hang fails instead of blocking
    b = Board(tmp_path / "flash")
    yield b
    b.close()


def run_deploy(board, *options):
    """digimon deploy --port <board> --no-reset [options]: its exit status."""
    p = argparse.ArgumentParser()
    deploy.add_arguments(p)
    return deploy.main(p.parse_args(["--port", board.port, "--no-reset", *options]))


def listed(out, verb):
    """The files the plan printed under "copy N files:" (verb "copy") or "remove ...:"."""
    m = re.search(r"^%s \d+ files?:\n((?:  .*\n)*)" % verb, out, re.M)
    return [line.strip() for line in m.group(1).splitlines()] if m else []


def flash_tree(flash):
    """{path: sha256} of the flash's files that a tree owns: boot.py, main.py, app/**."""
    return {p: h for p, h in tree_hashes(flash).items()
            if p in ("boot.py", "main.py") or p.startswith("app/")}


def test_first_deploy_copies_the_tree_and_keeps_config(board, capfd, monkeypatch):
    monkeypatch.setattr(deploy, "MAX_CHARS", 1500)  # several mpremote runs
    flash = board.flash
    (flash / "config.json").write_text("{}")
    (flash / "app" / "b" / "firmware").mkdir(parents=True)
    (flash / "app" / "b" / "firmware" / "x.mpy").write_bytes(b"old slot")
    (flash / "app" / "state.json").write_text('{"run": "b"}')

    assert run_deploy(board) == 0  # builds build/fs first

    out = capfd.readouterr().out
    assert flash_tree(flash) == tree_hashes(FS)
    assert (flash / "config.json").read_text() == "{}"
    assert not (flash / "app" / "state.json").exists()
    assert not (flash / "app" / "b").exists()
    assert sorted(listed(out, "copy")) == sorted(tree_hashes(FS))
    assert listed(out, "remove") == ["app/b/firmware/x.mpy", "app/state.json"]


def test_second_deploy_copies_only_what_differs(board, tmp_path, capfd):
    install_dir(build(), board.flash)  # the board has this version
    tree = build(tmp_path / "fs2", version="9.9.9-deploy")

    assert run_deploy(board, "--tree", str(tree)) == 0
    out = capfd.readouterr().out
    assert listed(out, "copy") == ["app/a/MANIFEST", "app/a/firmware/version.mpy"]
    assert "nothing to remove" in out
    assert flash_tree(board.flash) == tree_hashes(tree)

    assert run_deploy(board, "--tree", str(tree)) == 0  # up to date now
    out = capfd.readouterr().out
    assert "nothing to copy" in out and "nothing to remove" in out


def test_deployed_flash_starts(board, tmp_path):
    assert run_deploy(board) == 0
    port = free_port()
    sd = tmp_path / "sd"
    sd.mkdir()
    fw = subprocess.Popen([micropython(), "main.py", "--p1", os.devnull, "--sd", str(sd),
                           "--http", "127.0.0.1:%d" % port, "--flash", str(board.flash)],
                          cwd=board.flash, env=ENV, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT)

    def answers():
        assert fw.poll() is None, fw.stdout.read().decode()
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/about" % port, timeout=2) as r:
                return r.status
        except urllib.error.HTTPError as e:  # 403 with no config.json: it answers
            return e.code
        except OSError:
            return None

    try:
        assert wait_until(answers, 20, "the deployed firmware's HTTP server")
    finally:
        fw.kill()
        fw.wait(5)


def test_no_board(tmp_path, capfd):
    args = argparse.Namespace(port=str(tmp_path / "ttyNONE"), built=False, no_reset=True,
                              tree=str(build()))
    assert deploy.main(args) == 1
    assert "cannot open" in capfd.readouterr().err
