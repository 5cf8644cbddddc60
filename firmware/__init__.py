"""digimon's firmware, by capability: a folder per job, a module per part of it.

    app.py        the composition root: the running device and its start;
    startup.py    its steps (build the services, start them), loaded once for them
    core/         pure logic, no I/O: telegrams, meter time, quarters, peaks, config,
                  the HomeWizard fields, Morse; imports under CPython too
    board/        the only hardware code: one Board class per runtime (esp32, unix)
    p1/           the P1 reader: byte stream -> telegrams -> readings
    history/      readings -> quarters -> files on the SD card; the month peak
    device/       WiFi, setup access point, LED, BOOT button, health, event log,
                  config.json on the card and in flash
    update/       app slots in flash and installing updates
    integrations/ MQTT (with Home Assistant discovery) and the Fluksometer's minute
    web/          the HTTP server and its routes, one module per API family
    files.py      file-system helpers the services share; version.py the version

What may import what (host_tests/test_layout.py checks every import, cold.load()s
included):
- core imports nothing of the firmware but core;
- board imports only core (and board);
- the services (p1, history, device, update, integrations, files, version) import core
  and each other, never firmware.app, firmware.board or web: they get the board object
  and what else they need from app;
- web imports core and the services, never firmware.app or firmware.board;
- firmware.app (and its startup) imports anything: the only place where the parts meet.
"""
