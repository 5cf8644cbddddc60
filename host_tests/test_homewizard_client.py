"""Home Assistant's own client library (python-homewizard-energy) against our /api."""

import asyncio
import base64

import aiohttp
from homewizard_energy import HomeWizardEnergy
from homewizard_energy.errors import DisabledError

from host_tests.device import LOGIN, wait_until
from host_tests.led import morse_words

OPEN = {"web": {"user": LOGIN[0], "password": LOGIN[1]}, "homewizard": {"open": True}}


def read_all(host, session=None):
    async def go():
        async with HomeWizardEnergy(host, clientsession=session) as api:
            return await api.device(), await api.data(), await api.system()

    return go()


def test_home_assistant_client_reads_the_open_api(device):
    dev = device(profile="be", speed=10, count=15, config=OPEN)
    wait_until(lambda: dev.meter.poll() is not None, 30, "the simulator to finish")
    wait_until(lambda: dev.json("/about")["p1"]["telegrams"] == 15, 10, "all telegrams")
    sent = dev.sent()[-1]["values"]
    device_info, data, system = asyncio.run(read_all("127.0.0.1:%d" % dev.port))
    assert device_info.product_type == "HWE-P1" and device_info.api_version == "v1"
    assert device_info.serial and device_info.firmware_version
    assert data.smr_version == 50 and data.meter_model == sent["meter_model"]
    assert data.unique_meter_id == bytes.fromhex(sent["unique_id"]).decode()
    assert data.active_power_w == sent["active_power_w"]
    assert data.active_power_l1_w == sent["active_power_l1_w"]
    assert data.total_energy_import_kwh == sent["total_power_import_kwh"]
    assert data.total_energy_export_t2_kwh == sent["total_power_export_t2_kwh"]
    assert data.active_voltage_l3_v == sent["active_voltage_l3_v"]
    assert data.active_power_average_w == sent["active_power_average_w"]
    assert data.monthly_power_peak_w == sent["montly_power_peak_w"]
    assert data.monthly_power_peak_timestamp.strftime("%y%m%d%H%M%S") == str(sent["montly_power_peak_timestamp"])
    assert data.total_gas_m3 == sent["total_gas_m3"]
    assert data.gas_timestamp.strftime("%y%m%d%H%M%S") == str(sent["gas_timestamp"])
    assert len(data.external_devices) == 1
    ext = next(iter(data.external_devices.values()))
    assert ext.value == sent["total_gas_m3"] and ext.unit == "m3"
    assert system.cloud_enabled is False
    # Home Assistant's Identify button and Cloud connection switch work without the login,
    # as on a HomeWizard meter with its local API on; there is no cloud to switch on
    async def buttons():
        async with HomeWizardEnergy("127.0.0.1:%d" % dev.port) as api:
            await api.identify()
            await api.system_set(cloud_enabled=False)
            return (await api.system()).cloud_enabled

    assert asyncio.run(buttons()) is False
    wait_until(lambda: morse_words(dev).count("e") >= 5, 15, "the LED's identify blinks")
    status, _, body = dev.request("/api/v1/system", method="PUT", auth=None,
                                  body=b'{"cloud_enabled": true}',
                                  headers={"Content-Type": "application/json"})
    assert status == 400 and b"no cloud" in body
    # the rest of the device still wants the login, writes above all
    assert dev.request("/about", auth=None)[0] == 401
    assert dev.request("/setup", method="POST", body=b"{}", auth=None,
                       headers={"Content-Type": "application/json"})[0] == 401


def test_home_assistant_client_with_a_login(device):
    dev = device(profile="nl5", speed=10, count=5)
    wait_until(lambda: dev.meter.poll() is not None, 30, "the simulator to finish")
    wait_until(lambda: dev.json("/about")["p1"]["telegrams"] == 5, 10, "all telegrams")
    host = "127.0.0.1:%d" % dev.port

    async def with_login():
        token = base64.b64encode(("%s:%s" % LOGIN).encode()).decode()
        async with aiohttp.ClientSession(headers={"Authorization": "Basic " + token}) as session:
            return await read_all(host, session)

    _, data, _ = asyncio.run(with_login())
    assert data.active_power_w == dev.sent()[-1]["values"]["active_power_w"]

    async def without():
        async with aiohttp.ClientSession() as session:
            async with HomeWizardEnergy(host, clientsession=session) as api:
                await api.data()

    # no login while the API is closed: a 403, which Home Assistant shows as "the local API
    # is disabled" (a 401 would read as the device being unreachable); a wrong login: 401
    try:
        asyncio.run(without())
        raise AssertionError("the closed API answered without a login")
    except DisabledError:
        pass
    status, headers, body = dev.request("/api/v1/data", auth=None)
    assert status == 403 and b'homewizard' in body and b'open' in body
    status, headers, _ = dev.request("/api/v1/data", auth=("admin", "wrong"))
    assert status == 401 and "Basic" in headers["WWW-Authenticate"]
