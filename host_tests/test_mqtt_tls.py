"""MQTT over TLS on the runtime that has ssl (the 64-bit wheel; the board has it too):
a mosquitto TLS listener with a certificate of a CA made here, the CA in mqtt-ca.pem on
the SD card; a wrong CA is refused. The 32-bit stand-in has no ssl: test_mqtt.py checks
that it says so."""

import datetime
import json
import shutil

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from digimon import runtime
from host_tests.device import LOGIN, WIFI, wait_until

HAS_WHEEL = runtime.WHEEL.exists()


def make_ca(folder, name):
    """(CA cert path, server cert path, server key path) for localhost."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(days=1))
          .not_valid_after(now + datetime.timedelta(days=30))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
            .issuer_name(ca_name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), False)
            .sign(ca_key, hashes.SHA256()))
    folder.mkdir(parents=True, exist_ok=True)
    paths = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.TraditionalOpenSSL,
                                           serialization.NoEncryption()))
    return paths


@pytest.mark.skipif(not HAS_WHEEL, reason="no 64-bit MicroPython wheel (it has ssl)")
@pytest.mark.parametrize("right_ca", [True, False])
def test_tls_with_the_ca_from_the_sd_card(device, broker, subscriber, tmp_path,
                                          monkeypatch, right_ca):
    monkeypatch.setenv("DIGIMON_RUNTIME", "64")
    ca, cert, key = make_ca(tmp_path / "pki", "digimon test CA")
    b = broker(tls=(ca, cert, key))
    sub = subscriber(b.port, tls_ca=ca)
    cfg = {"wifi": WIFI, "web": {"user": LOGIN[0], "password": LOGIN[1]},
           "mqtt": {"host": "localhost", "port": b.port, "tls": True, "interval_s": 1}}
    card_ca = ca if right_ca else make_ca(tmp_path / "other", "another CA")[0]
    (tmp_path / "dev0" / "sd").mkdir(parents=True)
    shutil.copy(card_ca, tmp_path / "dev0" / "sd" / "mqtt-ca.pem")
    # 256k: on the unix port mbedtls takes its buffers from MicroPython's heap (about 7 KB
    # at the handshake, 4.6 KB while connected, on this 64-bit build); on the board they
    # come from the system heap, beside MicroPython's
    dev = device(profile="nl5", speed=5, config=cfg, heap="256k")
    assert "64-bit" in dev.json("/about")["runtime"]
    serial = dev.json("/about")["serial"]
    if right_ca:
        wait_until(lambda: sub.got("digimon/%s/state" % serial), 20, "a state message over TLS")
        about = dev.json("/about")["mqtt"]
        assert about["connected"] and about["tls"] and about["port"] == b.port
        assert json.loads(sub.got("digimon/%s/state" % serial)[-1][0])["active_power_w"] is not None
    else:
        wait_until(lambda: (dev.json("/about")["mqtt"] or {}).get("error"), 20, "the refusal")
        about = dev.json("/about")["mqtt"]
        assert not about["connected"] and "cannot connect" in about["error"], about
        assert not sub.got("digimon/%s/state" % serial)
