"""A real MQTT broker for the tests (Debian's mosquitto, started on a free port with a
config file of the test's own) and a subscriber that keeps what it gets (paho-mqtt)."""

import json
import os
import pwd
import subprocess
import threading
import time
from pathlib import Path

import paho.mqtt.client as paho

from host_tests.device import free_port, wait_until

MOSQUITTO = "/usr/sbin/mosquitto"


class Broker:
    """mosquitto on 127.0.0.1:<free port>; users: {name: password} turns anonymous off;
    tls: (ca, cert, key) file paths for a TLS listener instead."""

    def __init__(self, tmp, users=None, tls=None, port=None):
        self.tmp = Path(tmp)
        self.tmp.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        # as root, mosquitto would become user "mosquitto", who cannot read the test's files
        lines = ["user %s" % pwd.getpwuid(os.getuid()).pw_name,
                 "listener %d 127.0.0.1" % self.port, "persistence false",
                 "log_dest stdout", "log_type error", "log_type warning", "log_type notice"]
        if users:
            pw = self.tmp / "passwd"
            pw.write_text("".join("%s:%s\n" % kv for kv in users.items()))
            subprocess.run(["mosquitto_passwd", "-U", str(pw)], check=True)
            lines += ["allow_anonymous false", "password_file %s" % pw]
        else:
            lines.append("allow_anonymous true")
        if tls:
            lines += ["cafile %s" % tls[0], "certfile %s" % tls[1], "keyfile %s" % tls[2]]
        self.conf = self.tmp / "mosquitto.conf"
        self.conf.write_text("\n".join(lines) + "\n")
        self.proc = None
        self.start()

    def start(self):
        self.log = open(self.tmp / "mosquitto.log", "a")
        self.proc = subprocess.Popen([MOSQUITTO, "-c", str(self.conf)], stdout=self.log,
                                     stderr=subprocess.STDOUT)
        wait_until(self._up, 10, "mosquitto to listen")

    def _up(self):
        import socket

        if self.proc.poll() is not None:
            raise AssertionError("mosquitto exited: " + (self.tmp / "mosquitto.log").read_text())
        try:
            socket.create_connection(("127.0.0.1", self.port), 0.2).close()
            return True
        except OSError:
            return False

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(5)
        self.log.close()


class Subscriber:
    """A paho client subscribed to `topics`; messages: [(topic, payload bytes, retain)]."""

    def __init__(self, port, topics=("#",), auth=None, tls_ca=None):
        self.messages = []
        self.lock = threading.Lock()
        self.client = paho.Client(paho.CallbackAPIVersion.VERSION2,
                                  client_id="test-%d" % time.time_ns())
        if auth:
            self.client.username_pw_set(*auth)
        if tls_ca:
            self.client.tls_set(ca_certs=str(tls_ca))
        self.topics = topics
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.connect("localhost" if tls_ca else "127.0.0.1", port)
        self.client.loop_start()

    def _on_connect(self, client, userdata, flags, reason, properties):
        for t in self.topics:
            client.subscribe(t)

    def _on_message(self, client, userdata, msg):
        with self.lock:
            self.messages.append((msg.topic, msg.payload, msg.retain))

    def got(self, topic):
        with self.lock:
            return [(p, r) for t, p, r in self.messages if t == topic]

    def last_json(self, topic):
        got = self.got(topic)
        return json.loads(got[-1][0]) if got else None

    def topics_seen(self):
        with self.lock:
            return {t for t, _p, _r in self.messages}

    def publish(self, topic, payload, retain=False):
        self.client.publish(topic, payload, retain=retain).wait_for_publish(5)

    def stop(self):
        self.client.loop_stop()
        self.client.disconnect()
