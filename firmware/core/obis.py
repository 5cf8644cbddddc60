"""The OBIS field table of core.dsmr, as text.

It lives in its own module because a module's constants stay in the heap as long as
the module is imported: dsmr parses this text once at import into compact arrays and
then lets this module go (core.cold).
"""

# The field table: one row per OBIS code; a new meter field is one row here. Only the
# fields the API or the history use are here (every row takes room in the heap for good);
# other lines are skipped: the power failure log, messages, the breaker and limiter.
# It is text, parsed once at import into compact arrays (tuples cost far more RAM).
#   OBIS code, name, kind, unit (- for none), decimals kept
# Kinds: num   (012345.678*kWh) -> int scaled by 10**decimals
#        ts    (YYMMDDhhmmssX) -> three slots: yymmdd, hhmmss, dst (1 S, 0 W, -1 none)
#        tsnum (timestamp)(value*unit): the ts slots, then the value slot
#        text  (text) and raw (everything after the code): kept in the telegram
#        nextline  DSMR 2.2 gas: (timestamp)(..)..(unit) and (value) on the next line
# Gas / M-Bus rows are written with channel 1 and match any channel 1-4.
# A name that is already in the table is another OBIS code for the same field (its
# kind, unit and decimals are the first row's). The 4 tariffs follow their total
# (dsmr.total() sums them when the meter sends no total).
TABLE = """
0-0:1.0.0    timestamp                   ts
1-3:0.2.8    smr_version                 num      -    0
0-0:96.1.4   smr_version_be              num      -    0
0-0:96.1.1   unique_id                   text
0-0:42.0.0   unique_id                   text
0-0:96.14.0  active_tariff               num      -    0
1-0:1.8.0    total_power_import_kwh      num      kWh  3
1-0:1.8.1    total_power_import_t1_kwh   num      kWh  3
1-0:1.8.2    total_power_import_t2_kwh   num      kWh  3
1-0:1.8.3    total_power_import_t3_kwh   num      kWh  3
1-0:1.8.4    total_power_import_t4_kwh   num      kWh  3
1-0:2.8.0    total_power_export_kwh      num      kWh  3
1-0:2.8.1    total_power_export_t1_kwh   num      kWh  3
1-0:2.8.2    total_power_export_t2_kwh   num      kWh  3
1-0:2.8.3    total_power_export_t3_kwh   num      kWh  3
1-0:2.8.4    total_power_export_t4_kwh   num      kWh  3
1-0:1.7.0    power_import_kw             num      kW   3
1-0:2.7.0    power_export_kw             num      kW   3
1-0:21.7.0   power_import_l1_kw          num      kW   3
1-0:41.7.0   power_import_l2_kw          num      kW   3
1-0:61.7.0   power_import_l3_kw          num      kW   3
1-0:22.7.0   power_export_l1_kw          num      kW   3
1-0:42.7.0   power_export_l2_kw          num      kW   3
1-0:62.7.0   power_export_l3_kw          num      kW   3
1-0:32.7.0   active_voltage_l1_v         num      V    1
1-0:52.7.0   active_voltage_l2_v         num      V    1
1-0:72.7.0   active_voltage_l3_v         num      V    1
1-0:31.7.0   active_current_l1_a         num      A    2
1-0:51.7.0   active_current_l2_a         num      A    2
1-0:71.7.0   active_current_l3_a         num      A    2
1-0:14.7.0   active_frequency_hz         num      Hz   3
1-0:32.32.0  voltage_sag_l1_count        num      -    0
1-0:52.32.0  voltage_sag_l2_count        num      -    0
1-0:72.32.0  voltage_sag_l3_count        num      -    0
1-0:32.36.0  voltage_swell_l1_count      num      -    0
1-0:52.36.0  voltage_swell_l2_count      num      -    0
1-0:72.36.0  voltage_swell_l3_count      num      -    0
0-0:96.7.21  any_power_fail_count        num      -    0
0-0:96.7.9   long_power_fail_count       num      -    0
1-0:1.4.0    active_power_average_kw     num      kW   3
1-0:1.6.0    montly_power_peak           tsnum    kW   3
0-0:98.1.0   peak_history                raw
0-1:24.1.0   gas_device_type             num      -    0
0-1:96.1.0   gas_unique_id               text
0-1:96.1.1   gas_unique_id_be            text
0-1:24.2.1   gas                         tsnum    m3   3
0-1:24.2.3   gas_be                      tsnum    m3   3
0-1:24.3.0   gas_22                      nextline m3   3
"""
