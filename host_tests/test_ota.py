"""Updates over the air on the unix port: a bundle uploaded to POST /update goes into
the other app slot and runs after the restart; bad uploads leave the running version
as it was; a version that crashes at start is rolled back by boot.py."""

import base64
import json
import shutil
import socket
import subprocess

import pytest
from playwright.sync_api import sync_playwright

from host_tests.device import LOGIN, wait_until
from host_tests.test_web_ui import CHROMIUM, FLAGS
from digimon.build import SLOT, blocks, build, compile_py, manifest_text, read_manifest
from digimon.bundle import write_bundle
from digimon.install import install_dir
from digimon.run import micropython
from firmware.update.ota import RESERVE

BLOCK = 4096  # the unix board's flash block
VERSION = read_manifest(build() / SLOT)[0]  # what the devices start with
OCTETS = {"Content-Type": "application/octet-stream"}


@pytest.fixture(scope="module")
def bundles(tmp_path_factory):
    """{"good": bytes, "broken": bytes}: a bundle of another version, and one whose
    firmware.app raises at import."""
    tmp = tmp_path_factory.mktemp("bundles")
    good = build(tmp / "fs-next", "9.9.1-next") / SLOT
    broken = tmp / "broken"
    shutil.copytree(good, broken)
    src = tmp / "app.py"
    src.write_text('raise RuntimeError("broken build")\n')
    compile_py(src, broken / "firmware" / "app.mpy", force=True)
    (broken / "MANIFEST").write_text(manifest_text(broken, "9.9.2-broken"))
    out = {}
    for name, app in (("good", good), ("broken", broken)):
        write_bundle(app, tmp / (name + ".bundle"))
        out[name] = (tmp / (name + ".bundle")).read_bytes()
    out["good_file"] = tmp / "good.bundle"
    return out


def upload(dev, body, auth=LOGIN, path="/update"):
    status, _, answer = dev.request(path, "POST", body, auth, OCTETS)
    return status, json.loads(answer)


def about(dev):
    return dev.json("/about")


def unchanged(dev):
    """The old version runs, the other slot is empty and nothing is switched."""
    a = about(dev)
    assert a["version"] == VERSION and a["update"]["slot"] == "a", a
    assert not (dev.flash / "app" / "b").exists()
    assert not (dev.flash / "app" / "state.json").exists()
    assert dev.firmware.poll() is None  # it did not restart


def events(dev, kind="update"):
    return [e["msg"] for e in dev.json("/events")["events"] if e["kind"] == kind]


def test_good_bundle_runs_then_is_confirmed(device, bundles):
    dev = device()
    assert about(dev)["update"] == {"slot": "a", "pending": False, "tries": None,
                                    "rolled_back": None}
    status, _, page = dev.request("/update", headers={"Accept-Encoding": "gzip"})
    assert status == 200 and page
    assert dev.json("/update/identity") == {"id": dev.json("/api")["serial"], "hardware": "unix"}

    status, answer = upload(dev, bundles["good"])
    assert (status, answer["version"]) == (200, "9.9.1-next"), answer
    dev.wait_restart()
    a = about(dev)
    assert a["version"] == "9.9.1-next"
    assert a["update"] == {"slot": "b", "pending": True, "tries": 1, "rolled_back": None}
    # on trial, the good version (slot a) is the way back: no update over it now
    status, answer = upload(dev, bundles["good"])
    assert status == 409 and "on trial" in answer["des"], answer

    wait_until(lambda: not about(dev)["update"]["pending"], 45, "the version to confirm")
    assert any("9.9.1-next confirmed" in t for t in events(dev))
    dev.cut_power()  # a power cut now keeps the new version
    dev.start_firmware()
    a = about(dev)
    assert a["version"] == "9.9.1-next" and a["update"]["slot"] == "b"
    assert not a["update"]["pending"]


def test_crashing_version_is_rolled_back(device, bundles):
    dev = device()
    status, answer = upload(dev, bundles["broken"])
    assert (status, answer["version"]) == (200, "9.9.2-broken"), answer
    starts = dev.restart_until_up()
    assert starts == 4  # three failed starts of the new version, then the old one
    assert dev.output().count("broken build") == 3
    a = about(dev)
    assert a["version"] == VERSION and a["update"]["slot"] == "a"
    assert a["update"]["rolled_back"] == "9.9.2-broken" and not a["update"]["pending"]
    assert any("9.9.2-broken failed to start 3 times" in t for t in events(dev))


def cut_off(dev, body, sent):
    """POST /update announcing all of body, sending `sent` bytes, then hanging up."""
    with socket.create_connection(("127.0.0.1", dev.port), 5) as s:
        token = base64.b64encode(("%s:%s" % LOGIN).encode()).decode()
        s.sendall(("POST /update HTTP/1.1\r\nHost: x\r\nAuthorization: Basic %s\r\n"
                   "Content-Length: %d\r\n\r\n" % (token, len(body))).encode())
        s.sendall(body[:sent])


def test_bad_uploads_leave_the_old_version_serving(device, bundles):
    dev = device()
    good = bundles["good"]
    status, _, _ = dev.request("/update", "POST", good, ("admin", "wrong"), OCTETS)
    assert status == 401
    unchanged(dev)

    cases = (
        ("sha256 does not match", good[:-1] + bytes([good[-1] ^ 1])),  # a file's last byte
        ("cut short", good[:len(good) * 2 // 3]),
        ("cut short", good[:200]),  # inside the MANIFEST
        ("not a digimon app bundle", b"PK\x03\x04 a zip file, say"),
        ("bad MANIFEST line", good.replace(b" firmware/", b" ../firmware/", 1)),
    )
    for words, body in cases:
        status, answer = upload(dev, body)
        assert status == 400 and words in answer["des"], (words, status, answer)
        unchanged(dev)

    cut_off(dev, good, len(good) // 2)  # the connection drops half way
    wait_until(lambda: "cut off" in dev.output(), 10, "the cut to be seen")
    unchanged(dev)

    status, answer = upload(dev, good, path="/update/firmware")
    assert status == 501 and "no OTA partition" in answer["des"]
    unchanged(dev)


def test_bundle_bigger_than_the_free_flash(device, bundles):
    good = bundles["good"]
    need = sum(-(-size // BLOCK) * BLOCK for _, size, _ in read_manifest(build() / SLOT)[1])
    # room for the bundle's bytes, not for the blocks its files take
    free = (len(good) + need) // 2 + RESERVE
    size = blocks(build()) + BLOCK + free  # the tree, config.json's copy, the free part
    dev = device(board_args=("--flash-size", str(size)))
    status, answer = upload(dev, good)
    assert status == 507 and "KB of flash" in answer["des"] and "free" in answer["des"], answer
    unchanged(dev)
    status, answer = upload(dev, bytes(3 << 20))  # 3 MB: refused before it is read
    assert status == 507 and "the bundle is 3072 KB" in answer["des"], answer
    unchanged(dev)


def test_upload_page_in_a_browser(device, bundles):
    """The page sends the file as the raw body, then waits for the new version."""
    dev = device()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        ctx = browser.new_context(locale="en-GB", http_credentials=dict(
            zip(("username", "password"), LOGIN)))
        page = ctx.new_page()
        page.goto(dev.base + "/update")
        page.wait_for_function("document.getElementById('version').textContent === %r"
                               % VERSION)
        page.set_input_files("#file", str(bundles["good_file"]))
        page.click("#go")
        dev.wait_restart()
        page.wait_for_function("document.getElementById('msg').textContent.includes("
                               "'now runs version 9.9.1-next')", timeout=30000)
        assert page.text_content("#state").startswith("on trial")
        browser.close()
    assert about(dev)["version"] == "9.9.1-next"


def test_boot_py_keeps_the_working_folder(tmp_path):
    """A board looks for main.py in the working folder after boot.py: boot.py only puts
    the chosen slot first on sys.path (main.py changes folder)."""
    install_dir(build(), tmp_path)
    script = ("exec(open('boot.py').read(), {'__name__': '__main__'})\n"
              "import os, sys\nprint(os.getcwd())\nprint(sys.path[0])\n"
              "print('main' if 'main.py' in os.listdir() else 'no main')")
    out = subprocess.run([micropython(), "-c", script], cwd=tmp_path, capture_output=True,
                         text=True, env={"MICROPYPATH": ".frozen"}, timeout=30)
    assert out.stdout.split() == [str(tmp_path), str(tmp_path / "app" / "a"), "main"], out
