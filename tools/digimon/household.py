"""Household power model for the meter simulator.

Power at any instant is a pure function of (seed, time): each local day gets a plan
of appliance events drawn from a Random seeded with the seed and the date, and the
fast noise comes from an integer hash.  So a run is reproducible from any start.

Phases are indexed 0..2 (L1..L3).  Power is in W, positive = consumption,
negative = PV production.
"""

import math
import random
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Europe/Brussels")
LAT = math.radians(50.85)  # Brussels
LON_DEG = 4.35
DAY = 86400
# EV chargers: (W, phases): 7.4 kW on L2, or 11 kW three-phase.
EV_CHARGERS: tuple[tuple[int, tuple[int, ...]], ...] = ((7400, (1,)), (11000, (0, 1, 2)))


def noise(seed: int, k: int) -> float:
    """Deterministic uniform value in [0, 1) for integer k (a small integer hash)."""
    x = (k * 0x9E3779B1 + seed * 0x85EBCA77 + 0x27D4EB2F) & 0xFFFFFFFF
    x ^= x >> 15
    x = (x * 0x2C1B3C6D) & 0xFFFFFFFF
    x ^= x >> 12
    x = (x * 0x297A2D39) & 0xFFFFFFFF
    x ^= x >> 15
    return x / 4294967296.0


def smooth(seed: int, t: float, period: float) -> float:
    """Value noise in [0, 1): linear interpolation between hashed points `period` apart."""
    k, frac = divmod(t / period, 1.0)
    k = int(k)
    a = noise(seed, k)
    return a + (noise(seed, k + 1) - a) * frac


def sun_height(t: float) -> float:
    """Sine of the sun's elevation over Brussels at epoch time t (approximate)."""
    days = t / DAY - 10957.0  # days since 2000-01-01
    decl = -math.radians(23.44) * math.cos(2 * math.pi * (days % 365.2422 + 10) / 365.2422)
    solar_hours = (t % DAY) / 3600 + LON_DEG / 15
    hour_angle = math.radians((solar_hours - 12) * 15)
    return (math.sin(LAT) * math.sin(decl)
            + math.cos(LAT) * math.cos(decl) * math.cos(hour_angle))


def season(t: float) -> float:
    """0 in late January (coldest), 1 in late July (warmest)."""
    days = t / DAY - 10957.0
    return 0.5 - 0.5 * math.cos(2 * math.pi * ((days % 365.2422) - 20) / 365.2422)


class Event:
    """An appliance run: `watts` spread over `phases` from start to end (epoch s).

    With a cycle, it is on for the first `duty` fraction of every `cycle` seconds
    (thermostats, compressors, drum motors)."""

    __slots__ = ("start", "end", "watts", "phases", "cycle", "duty", "name")

    def __init__(self, name, start, end, watts, phases, cycle=0, duty=1.0):
        self.name = name
        self.start = start
        self.end = end
        self.watts = watts
        self.phases = phases
        self.cycle = cycle
        self.duty = duty

    def power(self, t: int) -> float:
        if not self.start <= t < self.end:
            return 0.0
        if self.cycle and (t - self.start) % self.cycle >= self.duty * self.cycle:
            return 0.0
        return self.watts


class Household:
    """A Belgian/Dutch family home with PV, an EV and gas heating."""

    def __init__(self, seed: int = 0):
        rng = random.Random(f"household:{seed}")
        self.seed = seed
        self.base_w = rng.uniform(150, 300)
        self.base_split = (0.4, 0.3, 0.3)
        self.fridge_period = rng.uniform(55, 65) * 60
        self.fridge_on = self.fridge_period * rng.uniform(0.3, 0.38)
        self.fridge_offset = rng.uniform(0, self.fridge_period)
        self.fridge_w = rng.uniform(90, 120)
        self.pv_wp = rng.uniform(3500, 5500)
        self.pv_phases = rng.choice(((0,), (0, 1, 2)))
        self.ev_w, self.ev_phases = rng.choice(EV_CHARGERS)
        self.heating_m3h = rng.uniform(0.7, 1.2)  # boiler input on a cold day
        self._plans: dict = {}

    # -- day plans -------------------------------------------------------------

    def plan(self, date) -> tuple:
        """(events, sky) for local `date`: its appliance events plus yesterday's that
        run past midnight, and the day's sky (cached)."""
        plan = self._plans.get(date)
        if plan is None:
            if len(self._plans) > 8:
                self._plans.clear()
            events, sky = self._make_plan(date)
            midnight = datetime.combine(date, time(0), tzinfo=TZ).timestamp()
            late, _ = self._make_plan(date - timedelta(days=1))
            events = tuple(ev for ev in late if ev.end > midnight) + events
            plan = self._plans[date] = (events, sky)
        return plan

    def _make_plan(self, date) -> tuple:
        rng = random.Random(f"day:{self.seed}:{date.isoformat()}")
        midnight = datetime.combine(date, time(0), tzinfo=TZ)
        weekend = date.weekday() >= 5
        events = []

        def at(hour_from, hour_to):
            """Random epoch second between two local clock hours of this day."""
            return int((midnight + timedelta(hours=rng.uniform(hour_from, hour_to))).timestamp())

        def add(name, start, minutes, watts, phases, cycle=0, duty=1.0):
            end = start + int(minutes * 60)
            events.append(Event(name, start, end, watts, phases, cycle, duty))
            return end

        # Kettle in the morning, sometimes in the afternoon.
        add("kettle", at(8, 10) if weekend else at(6.3, 7.6), rng.uniform(2.5, 4),
            rng.uniform(2000, 2300), (1,))
        if rng.random() < 0.5:
            add("kettle", at(15, 17), rng.uniform(2.5, 4), rng.uniform(2000, 2300), (1,))
        # Weekend lunch.
        if weekend and rng.random() < 0.6:
            add("hob", at(11.8, 12.5), rng.uniform(15, 30), rng.uniform(1200, 2000), (2,), 90, 0.6)
        # Dinner: hob, sometimes the oven.
        dinner = at(17.3, 19)
        add("hob", dinner, rng.uniform(25, 50), rng.uniform(1500, 3000), (1, 2), 120, 0.55)
        if rng.random() < 0.4:
            add("oven", dinner - 600, rng.uniform(40, 75), rng.uniform(2000, 2500), (2,), 300, 0.5)
        # Washing machine, often followed by the dryer.
        if rng.random() < (0.6 if weekend else 0.3):
            t = add("washer-heat", at(9, 19), rng.uniform(15, 25), 2000, (1,))
            t = add("washer-drum", t, rng.uniform(60, 80), rng.uniform(250, 450), (1,), 60, 0.5)
            if rng.random() < 0.6:
                add("dryer", t + 300, rng.uniform(80, 110), rng.uniform(2200, 2600), (2,), 600, 0.7)
        # Dishwasher after dinner.
        if rng.random() < 0.7:
            t = add("dish-heat", at(20, 22), rng.uniform(15, 22), 1800, (0,))
            t = add("dish-wash", t, rng.uniform(50, 70), 120, (0,))
            add("dish-dry", t, rng.uniform(10, 15), 1800, (0,))
        # Small daytime loads: vacuum cleaner, hair dryer, microwave.
        for _ in range(rng.randint(0, 3)):
            add("small", at(8, 21), rng.uniform(3, 15), rng.uniform(800, 2000), (rng.randrange(3),))
        # The EV charges some nights, a few hours from late evening on.
        if rng.random() < 0.35:
            add("ev", at(21.5, 24.5), rng.uniform(90, 240), self.ev_w, self.ev_phases)
        # Sky of the day: clear, broken clouds or overcast (sunnier in summer).
        sunny = 0.25 + 0.35 * season(midnight.timestamp())
        r = rng.random()
        if r < sunny:
            sky = (0.9, 1.0, 0.0)  # (lowest level, highest level, cloudy fraction)
        elif r < sunny + 0.4:
            sky = (0.9, 1.0, rng.uniform(0.3, 0.7))
        else:
            sky = (0.12, 0.3, 1.0)
        return tuple(events), sky

    # -- power ------------------------------------------------------------------

    def power(self, t: int, local: datetime) -> list:
        """Per-phase power [L1, L2, L3] in W at epoch second t (`local` = t in TZ)."""
        events, sky = self.plan(local.date())
        phases = [0.0, 0.0, 0.0]

        # Base load: fridge-less standby, lights and TV in the evening, 5 % noise.
        hour = local.hour + local.minute / 60
        base = self.base_w * (0.85 + 0.3 * smooth(self.seed, t, 1800))
        if 17 <= hour < 23:
            base += 180
        elif 7 <= hour < 9:
            base += 80
        for i in range(3):
            jitter = 0.95 + 0.1 * noise(self.seed * 3 + i, t)
            phases[i] += base * self.base_split[i] * jitter

        # Fridge compressor on L1: ~20 min on, ~40 off.
        if (t + self.fridge_offset) % self.fridge_period < self.fridge_on:
            phases[0] += self.fridge_w

        # Appliance events (including yesterday's that run past midnight).
        for ev in events:
            w = ev.power(t)
            if w:
                share = w / len(ev.phases)
                for p in ev.phases:
                    phases[p] += share

        # PV: seasonal bell curve from the sun's height, scaled by the day's clouds.
        height = sun_height(t)
        if height > 0.02:
            clear, top, clouds = sky
            level = clear + (top - clear) * noise(self.seed + 7, t // 20)
            if clouds and smooth(self.seed + 11, t, 300) < clouds:
                level *= 0.15 + 0.2 * smooth(self.seed + 13, t, 60)
            pv = self.pv_wp * 0.85 * min(1.0, 1.1 * height ** 0.8) * level
            share = pv / len(self.pv_phases)
            for p in self.pv_phases:
                phases[p] -= share
        return phases

    def voltages(self, t: int, phase_w: list) -> list:
        """Per-phase voltage in V: slow drift around 231 V, a drop under load and a
        rise while exporting, clamped to 225..240 V."""
        out = []
        for i in range(3):
            v = 229.0 + 6.0 * smooth(self.seed * 5 + i, t, 1200) - 0.9 * phase_w[i] / 1000
            out.append(min(240.0, max(225.0, v)))
        return out

    def gas_rate(self, t: int, local: datetime) -> float:
        """Gas consumption in litres per second: heating in the cold months, hot water."""
        outdoor = 3 + 15 * season(t) + 4 * math.sin(2 * math.pi * (local.hour - 9) / 24)
        demand = max(0.0, (16 - outdoor) / 18)
        if not 6 <= local.hour < 22:
            demand *= 0.3  # night setback
        m3h = self.heating_m3h * demand
        if 7 <= local.hour < 8 and local.minute < 25:
            m3h += 1.8  # showers
        elif 18 <= local.hour < 20 and local.minute < 10:
            m3h += 1.0  # dishes, kitchen tap
        m3h += 0.01  # small draws
        return m3h * 1000 / 3600
