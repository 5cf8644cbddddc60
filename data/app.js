"use strict";
// digimon web UI: the live quarter, day and month history and the month peak.
// No libraries and no requests to anything but the device. Times come from quarter
// ids (the meter's local time with its summer/winter flag), so the browser's time
// zone does not matter.

const T = {
  nl: {
    live: "Nu", day: "Dag", month: "Maand", year: "Jaar", other: "English",
    power: "Verbruik nu", exportNow: "Teruglevering nu", qavg: "Kwartiergemiddelde tot nu",
    proj: "Verwacht kwartiergemiddelde", projNote: "als het verbruik zo blijft",
    avg: "Kwartiergemiddelde", prod: "Teruglevering gemiddeld", peak: "Maandpiek",
    dayPeak: "Dagpiek", energy: "Energie", exported: "{v} teruggeleverd",
    cost: "Capaciteitstarief (schatting)",
    costNote: "deze maand: {kw} kW × {rate}/kW/jaar ÷ 12", sourceMeter: "volgens de meter",
    sourceOwn: "berekend door digimon",
    warnNew: "Opgelet: dit kwartier wordt een nieuwe maandpiek ({w}, nu {p}).",
    warnCost: " Dat kost ongeveer {eur} extra deze maand.",
    warnFree: " Nog onder het minimum van {kw} kW: geen extra kost.",
    liveTitle: "Dit kwartier, {t}", quarterTitle: "Kwartier {t}", dayTitle: "{t}",
    monthTitle: "{t}", summer: "zomeruur", winter: "winteruur",
    peakBtn: "Maand piek {w}", peakNone: "Nog geen maandpiek", noPeak: "geen piek",
    back1d: "« dag", back15: "‹ 15′", now: "Nu", fwd15: "15′ ›", fwd1d: "dag »",
    back1dLong: "een dag terug", back15Long: "een kwartier terug", nowLong: "nu (live)",
    fwd15Long: "een kwartier verder", fwd1dLong: "een dag verder",
    prevDay: "‹ Vorige", today: "Vandaag", nextDay: "Volgende ›",
    prevMonth: "‹ Vorige", thisMonth: "Deze maand", nextMonth: "Volgende ›",
    updated: "Bijgewerkt om {t}", dev: "Ontwikkelmodus: gegevens van {url}.",
    user: "Gebruiker", pass: "Wachtwoord", connect: "Verbinden",
    unreachable: "Het toestel is niet bereikbaar ({why}). Opnieuw proberen…",
    login: "Aanmelden mislukt: controleer gebruiker en wachtwoord.",
    answered: "Het toestel antwoordde {s}: {des}",
    waiting: "Nog geen telegram van de meter ontvangen. Zit de kabel in de P1-poort?",
    stale: "Geen telegram sinds {s} s: controleer de kabel en of de P1-poort geopend is (Mijn Fluvius).",
    p1error: "De P1-poort kan niet geopend worden: {e}",
    noSd: "Geen SD-kaart: de geschiedenis wordt niet bewaard.",
    sdError: "Probleem met de SD-kaart: {e}",
    noData: "Geen metingen gevonden.",
    chartQuarter: "Verbruik en teruglevering per 5 seconden, {n} metingen",
    chartDay: "Kwartiergemiddelden, {n} kwartieren", chartMonth: "Dagpieken, {n} dagen",
    at: "{d} om {t}",
    room: "Ruimte tot een nieuwe piek", roomText: "Nog {kw} tot {t} zonder nieuwe piek",
    roomLost: "Nog {kw} tot {t}: de nieuwe piek is niet meer te vermijden",
    roomNote: "gemiddeld voor de rest van het kwartier, tot {w} ({what})",
    limitPeak: "de maandpiek", limitMin: "het minimum",
    yearTitle: "Capaciteitstarief, {a} – {b}", avg12: "Gemiddelde van 12 maanden",
    avg12Note: "over {n} maanden, elk minstens {min}", perYear: "Capaciteitstarief per jaar",
    perYearNote: "{kw} kW × {rate}/kW/jaar", monthCost: "Deze maand", monthCostNote: "een twaalfde daarvan",
    yearRule: "Elke maand telt voor zijn piek, minstens {min}; de factuur rekent met het gemiddelde van de laatste 12 maanden (de lichte balk telt niet meer mee).",
    legendMin: "minimum", legendAvg: "gemiddelde", billedTip: "aangerekend {w}",
    chartYear: "Maandpieken, {n} maanden", reading: "De maanden worden gelezen…",
    csv: "CSV (rekenblad)", csvLong: "de kwartieren als CSV-bestand",
  },
  en: {
    live: "Now", day: "Day", month: "Month", year: "Year", other: "Nederlands",
    power: "Power now", exportNow: "Exporting now", qavg: "Quarter average so far",
    proj: "Projected quarter average", projNote: "if consumption goes on as now",
    avg: "Quarter average", prod: "Average export", peak: "Month peak",
    dayPeak: "Day peak", energy: "Energy", exported: "{v} exported",
    cost: "Capacity tariff (estimate)",
    costNote: "this month: {kw} kW × {rate}/kW/year ÷ 12", sourceMeter: "from the meter",
    sourceOwn: "computed by digimon",
    warnNew: "Careful: this quarter will set a new month peak ({w}, now {p}).",
    warnCost: " That costs about {eur} more this month.",
    warnFree: " Still under the {kw} kW minimum: no extra cost.",
    liveTitle: "This quarter, {t}", quarterTitle: "Quarter {t}", dayTitle: "{t}",
    monthTitle: "{t}", summer: "summer time", winter: "winter time",
    peakBtn: "Month peak {w}", peakNone: "No month peak yet", noPeak: "no peak",
    back1d: "« day", back15: "‹ 15′", now: "Now", fwd15: "15′ ›", fwd1d: "day »",
    back1dLong: "one day back", back15Long: "one quarter back", nowLong: "now (live)",
    fwd15Long: "one quarter on", fwd1dLong: "one day on",
    prevDay: "‹ Previous", today: "Today", nextDay: "Next ›",
    prevMonth: "‹ Previous", thisMonth: "This month", nextMonth: "Next ›",
    updated: "Updated at {t}", dev: "Development mode: data from {url}.",
    user: "User", pass: "Password", connect: "Connect",
    unreachable: "The device cannot be reached ({why}). Retrying…",
    login: "Login failed: check the user and password.",
    answered: "The device answered {s}: {des}",
    waiting: "No telegram from the meter yet. Is the cable in the P1 port?",
    stale: "No telegram for {s} s: check the cable and that the P1 port is opened (at the grid operator).",
    p1error: "The P1 port cannot be opened: {e}",
    noSd: "No SD card: history is not kept.",
    sdError: "SD card problem: {e}",
    noData: "No measurements found.",
    chartQuarter: "Consumption and export per 5 seconds, {n} readings",
    chartDay: "Quarter averages, {n} quarters", chartMonth: "Day peaks, {n} days",
    at: "{d} at {t}",
    room: "Room before a new peak", roomText: "{kw} more until {t} without a new peak",
    roomLost: "{kw} until {t}: the new peak can no longer be avoided",
    roomNote: "on average for the rest of the quarter, up to {w} ({what})",
    limitPeak: "the month peak", limitMin: "the minimum",
    yearTitle: "Capacity tariff, {a} – {b}", avg12: "12-month average",
    avg12Note: "over {n} months, each at least {min}", perYear: "Capacity tariff per year",
    perYearNote: "{kw} kW × {rate}/kW/year", monthCost: "This month", monthCostNote: "a twelfth of it",
    yearRule: "Each month counts for its peak, at least {min}; the bill uses the average of the last 12 months (the pale bar no longer counts).",
    legendMin: "minimum", legendAvg: "average", billedTip: "billed {w}",
    chartYear: "Month peaks, {n} months", reading: "Reading the months…",
    csv: "CSV (spreadsheet)", csvLong: "the quarters as a CSV file",
  },
};

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const DEVICE = params.get("device"); // development mode: this page reads another host
const BASE = DEVICE ? DEVICE.replace(/\/+$/, "") : location.origin;
const POLL_MS = 5000;
const STALE_MS = 30000;
const ZONES = [500, 2000, 2500, 3500]; // the original UI's colour steps (W)

let lang = localStorage.getItem("digimon-lang") ||
  (navigator.languages || [navigator.language]).map((l) => l.slice(0, 2)).find((l) => l in T) || "en";
let auth = DEVICE ? sessionStorage.getItem("digimon-auth") : null;
let peak = null; // the last /current/month/peak
let liveQid = 0; // the quarter the device is recording
let gen = 0; // bumped by every view change: late answers for an old view are dropped
let timer = 0;
let lastChart = null;

function tr(key, vars = {}) {
  return T[lang][key].replace(/\{(\w+)\}/g, (_, k) => vars[k]);
}

// ---- numbers -------------------------------------------------------------------
const num = (v, d = 0) => new Intl.NumberFormat(lang, {minimumFractionDigits: d, maximumFractionDigits: d}).format(v);
const watts = (v) => (v == null ? "–" : num(v) + " W");
const kwh = (wh, d = 2) => num(wh / 1000, d) + " kWh";
const euro = (v) => new Intl.NumberFormat(lang, {style: "currency", currency: "EUR"}).format(v);
const pad = (n) => String(n).padStart(2, "0");

// ---- quarter ids: (year-2000)<<24 | month<<16 | day<<8 | hour*4+quarter | 0x80 summer
const split = (id) => ({y: 2000 + (id >>> 24), m: id >> 16 & 255, d: id >> 8 & 255, i: id & 127, s: id & 128 ? 1 : 0});
const make = (y, m, d, i, s) => ((y - 2000) << 24 | m << 16 | d << 8 | i | (s ? 128 : 0)) >>> 0;
const HOUR = 3600e3;

function lastSunday(y, m) { // 01:00 UTC on the last Sunday of month m: the EU switch
  const end = new Date(Date.UTC(y, m, 0));
  return Date.UTC(y, m - 1, end.getUTCDate() - end.getUTCDay(), 1);
}
function isSummer(utc) {
  const y = new Date(utc).getUTCFullYear();
  return utc >= lastSunday(y, 3) && utc < lastSunday(y, 10);
}
function toUtc(id) {
  const q = split(id);
  return Date.UTC(q.y, q.m - 1, q.d, 0, q.i * 15) - (q.s ? 2 : 1) * HOUR;
}
function fromUtc(utc) {
  const s = isSummer(utc);
  const t = new Date(utc + (s ? 2 : 1) * HOUR);
  return make(t.getUTCFullYear(), t.getUTCMonth() + 1, t.getUTCDate(), t.getUTCHours() * 4 + (t.getUTCMinutes() / 15 | 0), s);
}
// The quarter at a wall time (the day may overflow, as Date.UTC allows), in the
// flag `prefer` where the autumn hour has both; in the spring gap the time after it.
function atWall(y, m, d, i, prefer) {
  const wall = Date.UTC(y, m - 1, d, 0, i * 15);
  for (const s of prefer ? [1, 0] : [0, 1]) {
    const utc = wall - (s ? 2 : 1) * HOUR;
    if (isSummer(utc) === !!s) return fromUtc(utc);
  }
  return fromUtc(wall - HOUR);
}
const ambiguous = (id) => { const q = split(id); return atWall(q.y, q.m, q.d, q.i, !q.s) !== atWall(q.y, q.m, q.d, q.i, q.s); };
function clock(id, step = 0) { // "10:15" (+ step seconds), with the season on the autumn day
  const q = split(id);
  const sec = q.i * 900 + step;
  const t = pad(sec / 3600 | 0) + ":" + pad(sec / 60 % 60 | 0);
  return ambiguous(id) && step === 0 ? t + " (" + tr(q.s ? "summer" : "winter") + ")" : t;
}
const dateText = (y, m, d, opts) => new Intl.DateTimeFormat(lang, Object.assign({timeZone: "UTC"}, opts))
  .format(Date.UTC(y, m - 1, d));
const longDate = (y, m, d) => dateText(y, m, d, {weekday: "long", day: "numeric", month: "long", year: "numeric"});
function when(id) {
  const q = split(id);
  return tr("at", {d: dateText(q.y, q.m, q.d, {weekday: "short", day: "numeric", month: "short"}), t: clock(id)});
}
const quarterRange = (id) => clock(id) + "–" + clock(id, 900).slice(0, 5);
const dayKey = (y, m, d) => y + "-" + pad(m) + "-" + pad(d);
const monthKey = (id) => { const q = split(id); return q.y + "-" + pad(q.m); };
function fileName(id) {
  const q = split(id);
  return pad(q.i >> 2) + pad(q.i % 4 * 15) + (q.s ? "S" : "W");
}
const nowQid = () => liveQid || fromUtc(Date.now());
const peakW = () => (peak && peak.peak ? peak.peak.power : null);
// a quarter's billed average: from the registers where the meter sends them
const billedAvg = (q) => (q.consumed_energy_avg != null ? q.consumed_energy_avg : q.consumed_power_avg);

// ---- views, addressed by the URL's #: "" live, q/2026-11-20/1015W, d/2026-11-20, m/2026-11
function parseHash() {
  const [kind, a, b] = location.hash.slice(1).split("/");
  const [y, m, d] = (a || "").split("-").map(Number);
  if (kind === "q" && d && /^\d{4}[SW]$/.test(b || "")) {
    return {kind: "quarter", id: make(y, m, d, +b.slice(0, 2) * 4 + b.slice(2, 4) / 15, b[4] === "S")};
  }
  if (kind === "d" && d) return {kind: "day", y, m, d};
  if (kind === "m" && m) return {kind: "month", y, m};
  if (kind === "y") return {kind: "year"};
  return {kind: "live"};
}
const quarterHash = (id) => { const q = split(id); return "#q/" + dayKey(q.y, q.m, q.d) + "/" + fileName(id); };
const dayHash = (y, m, d) => { const t = new Date(Date.UTC(y, m - 1, d)); return "#d/" + dayKey(t.getUTCFullYear(), t.getUTCMonth() + 1, t.getUTCDate()); };
const monthHash = (y, m) => { const t = new Date(Date.UTC(y, m - 1, 1)); return "#m/" + t.getUTCFullYear() + "-" + pad(t.getUTCMonth() + 1); };
function go(hash) {
  if (location.hash === hash || (hash === "#" && !location.hash)) show(); else location.hash = hash;
}
function goQuarter(id) { // at or after the live quarter: back to live
  go(toUtc(id) >= toUtc(nowQid()) ? "#" : quarterHash(id));
}

// ---- talking to the device ------------------------------------------------------
class DeviceError extends Error {
  constructor(status, des) { super(des || String(status)); this.status = status; }
}
async function get(path, ms = 8000) {
  const stop = new AbortController();
  const t = setTimeout(() => stop.abort(), ms);
  try {
    const r = await fetch(BASE + path, {cache: "no-store", signal: stop.signal,
      headers: auth ? {Authorization: "Basic " + auth} : {}});
    const body = await r.json().catch(() => null);
    if (!r.ok) throw new DeviceError(r.status, body && body.des);
    return body;
  } catch (e) {
    if (e instanceof DeviceError) throw e;
    throw new DeviceError(0, e.name === "AbortError" ? "timeout" : e.message);
  } finally {
    clearTimeout(t);
  }
}
async function loadPeak() {
  try { peak = await get("/current/month/peak"); } catch (e) { /* the view's own request says what is wrong */ }
  peakButton();
}

// ---- small DOM helpers ----------------------------------------------------------
function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v != null) e.setAttribute(k, v);
  e.append(...kids.filter((k) => k != null));
  return e;
}
function status(lines, error) {
  const s = $("status");
  s.textContent = lines.filter(Boolean).join(" ");
  s.className = error ? "error" : "";
}
// cards: [{id, label, value, note, big, cls}]
function cards(list) {
  $("cards").replaceChildren(...list.map((c) => el("div", {class: c.big ? "card big" : c.wide ? "card wide" : "card"},
    el("span", {id: "l-" + c.id}, c.label), el("output", {id: c.id, class: c.cls, "aria-labelledby": "l-" + c.id}, c.value),
    c.note ? el("small", {}, c.note) : null)));
}
function steps(list) { // [[text, action, disabled, longer text for screen readers]]
  $("steps").replaceChildren(...list.map(([text, action, off, long]) => {
    const b = el("button", {type: "button", "aria-label": long, title: long}, text);
    b.disabled = !!off;
    b.onclick = action;
    return b;
  }));
}
function peakButton() {
  const b = $("peakbtn");
  const p = peak && peak.peak;
  b.textContent = p ? tr("peakBtn", {w: watts(p.power)}) : tr("peakNone");
  b.disabled = !p;
}

// ---- the capacity tariff ----------------------------------------------------------
function tariffCost(w) { // EUR for one month at a month peak of w watts
  const t = (peak && peak.tariff) || {eur_per_kw_year: 0, minimum_kw: 2.5};
  return Math.max(w / 1000, t.minimum_kw) * t.eur_per_kw_year / 12;
}
function costCard(w) {
  const t = peak && peak.tariff;
  if (!t) return null;
  const kw = Math.max((w || 0) / 1000, t.minimum_kw);
  return {id: "cost", label: tr("cost"), value: euro(tariffCost(w || 0)),
    note: tr("costNote", {kw: num(kw, 2), rate: euro(t.eur_per_kw_year)})};
}
const sourceText = (s) => (s === "meter" ? tr("sourceMeter") : s ? tr("sourceOwn") : "");
function peakCard(p, source) { // p null with a source: that source saw no peak
  return {id: "peak", label: tr("peak"), value: p ? watts(p.power) : "–",
    note: p ? when(p.quarter_id) + (source ? " · " + source : "") : source ? tr("noPeak") + " · " + source : null};
}
const monthPeakCard = () => peakCard(peak && peak.peak, peak && sourceText(peak.source));

// ---- the chart: bars in SVG, consumption up and export down ------------------------
// o = {n: positions, bars: [{x, up, down, tip, top, dim}], line: W or null (the peak line) or
//      lines: [[W, class]], ticks: [[x, text]], label, pick(bar) or null}
function chart(o) {
  lastChart = o;
  const box = $("chart");
  box.dataset.points = o.bars.length;
  if (!o.bars.length) {
    box.replaceChildren(el("p", {}, o.empty || tr("noData")));
    return;
  }
  const w = box.clientWidth || 360, h = box.clientHeight || 224;
  const L = 40, R = 6, TOP = 8, B = 20, pw = w - L - R, ph = h - TOP - B;
  let hi = 100, lo = 0;
  for (const b of o.bars) { hi = Math.max(hi, b.up); lo = Math.min(lo, b.down || 0); }
  const lines = o.lines || (o.line ? [[o.line, "peakline"]] : []);
  for (const [v] of lines) hi = Math.max(hi, v);
  const raw = (hi - lo) / 4, mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].find((s) => s * mag >= raw) * mag;
  hi = Math.ceil(hi / step) * step;
  lo = Math.floor(lo / step) * step;
  const y = (v) => TOP + (hi - v) / (hi - lo) * ph;
  const bw = pw / o.n, gap = bw > 4 ? 1 : 0;
  const X = (x) => L + x * bw;
  const parts = [];
  for (let v = lo; v <= hi + step / 2; v += step) {
    const label = Math.abs(v) >= 1000 ? num(v / 1000, step % 1000 ? 1 : 0) + "k" : num(v);
    parts.push(`<line class="grid" x1="${L}" x2="${w - R}" y1="${y(v)}" y2="${y(v)}"/>`,
      `<text x="${L - 4}" y="${y(v) + 4}" text-anchor="end">${label}</text>`);
  }
  for (const [x, text] of o.ticks) {
    const anchor = x <= 0 ? "start" : x >= o.n ? "end" : "middle";
    parts.push(`<text x="${X(x)}" y="${h - 5}" text-anchor="${anchor}">${text}</text>`);
  }
  const zero = y(0);
  for (const b of o.bars) {
    const zone = ZONES.findIndex((z) => b.up < z);
    const x = X(b.x) + gap / 2, bwid = Math.max(bw - gap, 1);
    const cls = "c z" + (zone < 0 ? 4 : zone) + (b.top ? " top" : "") + (b.dim ? " dim" : "");
    parts.push(`<g><title>${b.tip}</title><rect class="${cls}" x="${x}" y="${y(b.up)}" width="${bwid}" height="${Math.max(zero - y(b.up), b.up > 0 ? 1 : 0)}"/>`);
    if (b.down) parts.push(`<rect class="p" x="${x}" y="${zero}" width="${bwid}" height="${y(b.down) - zero}"/>`);
    parts.push("</g>");
  }
  for (const [v, cls] of lines) parts.push(`<line class="${cls}" x1="${L}" x2="${w - R}" y1="${y(v)}" y2="${y(v)}"/>`);
  if (o.cursor != null) parts.push(`<rect class="cursor" x="${X(o.bars[o.cursor].x)}" y="${TOP}" width="${Math.max(bw, 3)}" height="${ph}"/>`);
  box.innerHTML = `<svg role="img" aria-label="${o.label}" viewBox="0 0 ${w} ${h}" class="${o.pick ? "pick" : ""}">${parts.join("")}</svg>`;
  const svg = box.firstChild;
  svg.onclick = o.pick && ((ev) => {
    const r = svg.getBoundingClientRect();
    const x = (ev.clientX - r.left) / r.width * w;
    const at = Math.floor((x - L) / bw);
    let best = null;
    for (const b of o.bars) if (!best || Math.abs(b.x - at) < Math.abs(best.x - at)) best = b;
    if (best && Math.abs(best.x - at) <= 1) o.pick(best);
  });
}
$("chart").addEventListener("keydown", (ev) => { // arrows move a cursor, Enter opens
  const o = lastChart;
  if (!o || !o.pick || !o.bars.length) return;
  const c = o.cursor == null ? -1 : o.cursor;
  if (ev.key === "ArrowRight" || ev.key === "ArrowLeft") {
    o.cursor = Math.min(o.bars.length - 1, Math.max(0, c + (ev.key === "ArrowRight" ? 1 : -1)));
    chart(o);
    status([o.bars[o.cursor].tip]);
    ev.preventDefault();
  } else if (ev.key === "Enter" && c >= 0) {
    o.pick(o.bars[c]);
  }
});
addEventListener("resize", () => lastChart && chart(lastChart));

// ---- the quarter: live or from its file --------------------------------------------
function quarterBars(q) {
  const c = q.consumed_power_interval_avgs || [], p = q.produced_power_interval_avgs || [];
  const bars = [];
  let wh = 0, exportWh = 0;
  c.forEach((v, i) => {
    if (v == null) return;
    const down = p[i] || 0;
    wh += v * 5 / 3600;
    exportWh -= down * 5 / 3600;
    bars.push({x: i, up: v, down, tip: clock(q.quarter_id, i * 5) + ":" + pad(i * 5 % 60) + " · " + watts(v) + (down ? " / " + watts(down) : "")});
  });
  return {bars, wh, exportWh};
}
function quarterChart(q, bars) {
  chart({n: 180, bars, line: peakW(),
    ticks: [0, 60, 120, 180].map((s) => [s, clock(q.quarter_id, s * 5).slice(0, 5)]),
    label: tr("chartQuarter", {n: bars.length}), pick: null});
}
function energyCard(wh, exportWh, d) {
  return {id: "energy", label: tr("energy"), value: kwh(wh, d), note: exportWh ? tr("exported", {v: kwh(exportWh, d)}) : null};
}
function quarterSteps(id) {
  const q = split(id);
  const step = (key, to) => [tr(key), () => (to ? goQuarter(to()) : go("#")), false, tr(key + "Long")];
  steps([step("back1d", () => atWall(q.y, q.m, q.d - 1, q.i, q.s)),
    step("back15", () => fromUtc(toUtc(id) - 900e3)),
    step("now", null),
    step("fwd15", () => fromUtc(toUtc(id) + 900e3)),
    step("fwd1d", () => atWall(q.y, q.m, q.d + 1, q.i, q.s))]);
}

function deviceProblems(d) {
  const out = [];
  if (d.p1_error) out.push(tr("p1error", {e: d.p1_error}));
  else if (d.age_ms == null) out.push(tr("waiting"));
  else if (d.age_ms > STALE_MS) out.push(tr("stale", {s: Math.round(d.age_ms / 1000)}));
  if (!d.sd) out.push(tr("noSd"));
  else if (d.sd_error) out.push(tr("sdError", {e: d.sd_error}));
  return out;
}

function renderLive(d) {
  const q = d.quarter, id = q.quarter_id;
  const problems = deviceProblems(d);
  status(problems.length ? problems : [devNote(), tr("updated", {t: new Date().toLocaleTimeString(lang)})], problems.length > 0);
  $("title").textContent = id ? tr("liveTitle", {t: quarterRange(id)}) : tr("live");
  const {bars, wh, exportWh} = id ? quarterBars(q) : {bars: [], wh: 0, exportWh: 0};
  const exporting = d.export_w > 0;
  // from the 5 s slots (the device's projected_w), not the registers: at 1 Wh a
  // register is too coarse a minute in
  const sofar = id ? q.consumed_power_avg : null;
  const proj = d.projected_w;
  const top = peakW();
  cards([
    {id: "power", big: true, label: tr(exporting ? "exportNow" : "power"), cls: exporting ? "prod" : null,
      value: d.power_w == null ? "–" : watts(exporting ? -d.export_w : d.power_w)},
    roomCard(d, top),
    {id: "qavg", label: tr("qavg"), value: watts(sofar)},
    {id: "proj", label: tr("proj"), value: watts(proj), note: tr("projNote")},
    monthPeakCard(),
    energyCard(wh, exportWh, 3),
    costCard(top),
  ].filter(Boolean));
  warn(proj, top);
  quarterSteps(id || nowQid());
  if (id) quarterChart(q, bars); else chart({bars: [], empty: problems[0]});
}

// the headroom: the average power the rest of the quarter may use without a new
// month peak (at least the billed minimum), below zero when the peak is lost
function roomCard(d, top) {
  if (d.headroom_w == null) return null;
  const lost = d.headroom_w < 0;
  return {id: "headroom", wide: true, label: tr("room"), cls: lost ? "lost" : "room",
    value: tr(lost ? "roomLost" : "roomText", {kw: Math.abs(d.headroom_w) < 1000 ? watts(d.headroom_w) : num(d.headroom_w / 1000, 1) + " kW",
      t: d.headroom_until}),
    note: tr("roomNote", {w: watts(d.limit_w), what: tr(top != null && top >= d.limit_w ? "limitPeak" : "limitMin")})};
}

function warn(proj, top) {
  const w = $("warn");
  w.hidden = !(proj != null && top != null && proj > top);
  if (w.hidden) return;
  const t = peak.tariff;
  const extra = tariffCost(proj) - tariffCost(top);
  w.className = extra > 0 ? "alert" : "";
  w.textContent = tr("warnNew", {w: watts(proj), p: watts(top)}) +
    (!t ? "" : extra > 0 ? tr("warnCost", {eur: euro(extra)}) : tr("warnFree", {kw: num(t.minimum_kw, 1)}));
}

function renderQuarter(id, q) {
  $("title").textContent = tr("quarterTitle", {t: when(id) + "–" + clock(id, 900).slice(0, 5)});
  const {bars, wh, exportWh} = quarterBars(q);
  cards([
    {id: "avg", label: tr("avg"), value: watts(billedAvg(q))},
    {id: "prod", label: tr("prod"), value: watts(q.produced_power_avg != null ? Math.abs(q.produced_power_avg) : null)},
    energyCard(wh, exportWh, 3),
    monthPeakCard(),
  ]);
  quarterChart(q, bars);
}

function renderDay(v, data) {
  $("title").textContent = tr("dayTitle", {t: longDate(v.y, v.m, v.d)});
  const start = toUtc(atWall(v.y, v.m, v.d, 0, 0));
  const n = Math.round((toUtc(atWall(v.y, v.m, v.d + 1, 0, 0)) - start) / 900e3); // 92, 96 or 100
  const top = data.peak && data.peak.quarter_id;
  const bars = data.quarters.map((q) => {
    const up = billedAvg(q);
    return {x: Math.round((toUtc(q.quarter_id) - start) / 900e3), up, down: q.produced_power_avg || 0,
      id: q.quarter_id, top: q.quarter_id === top, tip: quarterRange(q.quarter_id) + " · " + watts(up)};
  });
  const ticks = [0, 6, 12, 18, 24].map((hr) => [hr === 24 ? n : Math.round((toUtc(atWall(v.y, v.m, v.d, hr * 4, 0)) - start) / 900e3), pad(hr % 24) + ":00"]);
  cards([
    {id: "daypeak", label: tr("dayPeak"), value: watts(data.peak && data.peak.power), note: top ? clock(top) : null},
    energyCard(data.wh, data.export_wh, 2),
    monthPeakCard(),
  ]);
  chart({n, bars, ticks, line: peakW(),
    label: tr("chartDay", {n: bars.length}), pick: (b) => go(quarterHash(b.id))});
  csvLink(dayKey(v.y, v.m, v.d), dayKey(v.y, v.m, v.d));
}

function csvLink(from, to) { // the quarters of these days as a CSV file, streamed by the device
  const a = $("csv");
  a.href = BASE + "/historic/export.csv?from=" + from + "&to=" + to;
  a.textContent = tr("csv");
  a.title = tr("csvLong");
  a.hidden = false;
}

function renderMonth(v, data) {
  $("title").textContent = tr("monthTitle", {t: new Intl.DateTimeFormat(lang, {month: "long", year: "numeric", timeZone: "UTC"}).format(Date.UTC(v.y, v.m - 1, 1))});
  const days = new Date(Date.UTC(v.y, v.m, 0)).getUTCDate();
  const top = data.peak && data.peak.quarter_id;
  const bars = data.days.map((d) => ({x: d.day - 1, up: d.power, down: 0, day: d.day, top: d.quarter_id === top,
    tip: dateText(v.y, v.m, d.day, {weekday: "short", day: "numeric"}) + " · " + watts(d.power) + " · " + kwh(d.wh)}));
  let wh = 0, exportWh = 0;
  for (const d of data.days) { wh += d.wh; exportWh += d.export_wh; }
  // the bill follows the meter's own peak where it has one: this month's, or its
  // 0-0:98.1.0 history for past months (each entry labelled with the month it
  // reports; one without a quarter is a month without a peak); else the peak from
  // our quarter files
  const key = v.y + "-" + pad(v.m);
  const q = split(nowQid());
  const current = q.y === v.y && q.m === v.m && peak && peak.peak;
  const fromMeter = !current && peak && (peak.meter_history || []).find((h) => h.month === key &&
    (h.quarter_id == null || monthKey(h.quarter_id) === key));
  const billed = current ? peak.peak : fromMeter ? (fromMeter.quarter_id == null ? null : fromMeter) : data.peak;
  const source = current ? peak.source : fromMeter ? "meter" : data.source;
  cards([
    peakCard(billed, sourceText(source)),
    energyCard(wh, exportWh, 1),
    costCard(billed ? billed.power : 0),
  ].filter(Boolean));
  chart({n: days, bars, line: null, ticks: [1, 8, 15, 22, 29].filter((d) => d <= days).map((d) => [d - 0.5, String(d)]),
    label: tr("chartMonth", {n: bars.length}), pick: (b) => go(dayHash(v.y, v.m, b.day))});
  csvLink(dayKey(v.y, v.m, 1), dayKey(v.y, v.m, days));
}

// the last 13 months: each month's peak as a bar, the billed minimum and the 12-month
// average the capacity tariff uses as lines, and what that costs
function renderYear(data) {
  const ms = data.months;
  const ym = (mo) => mo.month.split("-").map(Number);
  const name = (mo, opts) => { const [y, m] = ym(mo); return dateText(y, m, 1, opts); };
  const long = {month: "short", year: "numeric"};
  $("title").textContent = tr("yearTitle", {a: name(ms[0], long), b: name(ms[ms.length - 1], long)});
  const bars = [];
  ms.forEach((mo, i) => {
    if (!mo.source) return; // nothing known of that month
    const [y, m] = ym(mo);
    const p = mo.peak;
    bars.push({x: i, up: p ? p.power : 0, down: 0, y, m, dim: i === 0, // not in the average
      tip: [name(mo, long), p ? watts(p.power) + ", " + when(p.quarter_id) : tr("noPeak"),
        tr("billedTip", {w: watts(mo.billed_w)}), sourceText(mo.source)].join(" · ")});
  });
  const t = peak && peak.tariff;
  cards([
    {id: "avg12", label: tr("avg12"), value: watts(data.average_w),
      note: tr("avg12Note", {n: data.average_months, min: watts(data.minimum_w)})},
    {id: "peryear", label: tr("perYear"), value: euro(data.eur_per_year),
      note: t ? tr("perYearNote", {kw: num(data.average_w / 1000, 3), rate: euro(t.eur_per_kw_year)}) : null},
    {id: "monthcost", label: tr("monthCost"), value: euro(data.eur_this_month), note: tr("monthCostNote")},
    monthPeakCard(),
  ]);
  chart({n: ms.length, bars, lines: [[data.minimum_w, "minline"], [data.average_w, "avgline"]],
    ticks: ms.map((mo, i) => [i + 0.5, name(mo, {month: "short"}).replace(".", "").slice(0, 3)]),
    label: tr("chartYear", {n: bars.length}), pick: (b) => go(monthHash(b.y, b.m))});
  const g = $("legend");
  g.replaceChildren(el("span", {class: "sw min"}), tr("legendMin") + " " + watts(data.minimum_w) + "  ",
    el("span", {class: "sw avg"}), tr("legendAvg") + " " + watts(data.average_w) + ". ",
    tr("yearRule", {min: watts(data.minimum_w)}));
  g.hidden = false;
}

// ---- showing a view ----------------------------------------------------------------
function devNote() { return DEVICE ? tr("dev", {url: BASE}) : ""; }

function fail(e) {
  if (e.status === 401) {
    status([tr("login")], true);
    if (DEVICE) $("devlogin").hidden = false;
  } else if (e.status === 0) {
    status([tr("unreachable", {why: e.message})], true);
  } else if (e.status === 503 && /SD/.test(e.message)) {
    status([tr("noSd")], true);
  } else {
    status([tr("answered", {s: e.status, des: e.message})], true);
  }
  if (e.status === 404 || e.status === 503) chart({bars: [], empty: e.status === 404 ? tr("noData") : tr("noSd")});
}

async function poll(g) {
  try {
    const d = await get("/current/live");
    if (g !== gen) return;
    const id = d.quarter.quarter_id;
    if (!peak || (id && id !== liveQid)) { // a new quarter can make a new month peak
      liveQid = id || liveQid;
      await loadPeak();
    }
    if (g === gen) renderLive(d);
  } catch (e) {
    if (g === gen) fail(e);
  }
  if (g === gen) timer = setTimeout(() => poll(g), POLL_MS);
}

async function show() {
  const v = parseHash();
  const g = ++gen;
  clearTimeout(timer);
  lastChart = null;
  for (const k of ["live", "day", "month", "year"]) {
    const a = $("tab-" + k);
    a.textContent = tr(k);
    if (k === v.kind) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
  }
  const q = split(nowQid());
  const shown = v.kind === "quarter" ? split(v.id) : q;
  $("tab-day").href = dayHash(shown.y, shown.m, shown.d);
  $("tab-month").href = v.kind === "day" ? monthHash(v.y, v.m) : monthHash(q.y, q.m);
  $("lang").textContent = T[lang].other;
  $("warn").hidden = true;
  $("legend").hidden = true;
  $("csv").hidden = true;
  peakButton();
  if (v.kind === "live") return poll(g);
  if (v.kind === "quarter") quarterSteps(v.id);
  if (v.kind === "day") {
    const today = q.y === v.y && q.m === v.m && q.d === v.d;
    steps([[tr("prevDay"), () => go(dayHash(v.y, v.m, v.d - 1))],
      [tr("today"), () => go(dayHash(q.y, q.m, q.d)), today],
      [tr("nextDay"), () => go(dayHash(v.y, v.m, v.d + 1)), today]]);
  }
  if (v.kind === "year") {
    steps([]);
    status([tr("reading")]);
  }
  if (v.kind === "month") {
    const current = q.y === v.y && q.m === v.m;
    steps([[tr("prevMonth"), () => go(monthHash(v.y, v.m - 1))],
      [tr("thisMonth"), () => go(monthHash(q.y, q.m)), current],
      [tr("nextMonth"), () => go(monthHash(v.y, v.m + 1)), current]]);
  }
  try {
    if (!peak) await loadPeak();
    let data;
    if (v.kind === "quarter") {
      const s = split(v.id);
      data = await get("/meter/" + s.y + "/" + pad(s.m) + "/" + pad(s.d) + "/" + fileName(v.id) + ".json");
    } else if (v.kind === "day") {
      data = await get("/historic/day?date=" + dayKey(v.y, v.m, v.d));
    } else if (v.kind === "year") { // months the meter lacks are read from the card: slow once
      data = await get("/historic/peaks", 120000);
    } else {
      data = await get("/historic/month?year=" + v.y + "&month=" + v.m);
    }
    if (g !== gen) return;
    status([devNote()]);
    if (v.kind === "quarter") renderQuarter(v.id, data);
    else if (v.kind === "day") renderDay(v, data);
    else if (v.kind === "year") renderYear(data);
    else renderMonth(v, data);
  } catch (e) {
    if (g !== gen) return;
    if (v.kind === "quarter") $("title").textContent = tr("quarterTitle", {t: when(v.id)});
    cards([]);
    fail(e);
  }
}

$("peakbtn").onclick = () => peak && peak.peak && go(quarterHash(peak.peak.quarter_id));
$("lang").onclick = () => {
  lang = lang === "nl" ? "en" : "nl";
  localStorage.setItem("digimon-lang", lang);
  setLang();
  show();
};
function setLang() {
  document.documentElement.lang = lang;
  for (const k of ["user", "pass", "connect"]) $("l-" + k).textContent = tr(k);
}
$("devlogin").onsubmit = (ev) => {
  ev.preventDefault();
  auth = btoa(String.fromCharCode(...new TextEncoder().encode($("user").value + ":" + $("pass").value)));
  sessionStorage.setItem("digimon-auth", auth);
  $("devlogin").hidden = true;
  show();
};
addEventListener("hashchange", show);
setLang();
if (DEVICE && !auth) {
  $("devlogin").hidden = false;
  status([devNote()]);
} else {
  show();
}
