/**
 * The market page's script, bundled into `static/market.js` by
 * `deno task web:bundle` (lightweight-charts included: no CDN). Times are
 * UTC everywhere: the chart's axis, the range inputs and the trade list, so
 * every viewer sees the same candles whatever their time zone.
 *
 * @module
 */
import {
  type CandlestickData,
  CandlestickSeries,
  createChart,
  type HistogramData,
  HistogramSeries,
  type IPriceLine,
  LineStyle,
  type UTCTimestamp,
} from "lightweight-charts";

interface PageConfig {
  symbols: string[];
}

interface Health {
  feedConnected: boolean;
  tradesPerSec: number;
  consumerLag: number;
  restarts: number;
  storeUp: boolean;
}

interface Tick {
  symbol: string;
  now: number;
  trades: [number, number, number][];
  candles: [number, number, number, number, number, number, number][];
  health: Health;
}

type Row = [number, number, number, number, number, number, number, number];

const MINUTE = 60_000;
const UP = "#26a69a";
const DOWN = "#ef5350";

const el = <T extends HTMLElement>(id: string) =>
  document.getElementById(id) as T;
const config = JSON.parse(el("config").textContent ?? "{}") as PageConfig;

const chart = createChart(el("chart"), {
  autoSize: true,
  layout: { background: { color: "#131722" }, textColor: "#d1d4dc" },
  grid: {
    vertLines: { color: "#1e222d" },
    horzLines: { color: "#1e222d" },
  },
  timeScale: { timeVisible: true, secondsVisible: false },
  localization: { locale: "en-US" },
});
const candleSeries = chart.addSeries(CandlestickSeries, {
  upColor: UP,
  downColor: DOWN,
  borderVisible: false,
  wickUpColor: UP,
  wickDownColor: DOWN,
  priceLineVisible: false,
});
candleSeries.priceScale().applyOptions({
  scaleMargins: { top: 0.08, bottom: 0.28 },
});
const volumeSeries = chart.addSeries(HistogramSeries, {
  priceFormat: { type: "volume" },
  priceScaleId: "",
  lastValueVisible: false,
  priceLineVisible: false,
});
volumeSeries.priceScale().applyOptions({
  scaleMargins: { top: 0.78, bottom: 0 },
});
let lastLine: IPriceLine | undefined;

const state = {
  symbol: config.symbols[0] ?? "",
  /** Length of a live range ending now; undefined for a fixed range. */
  liveMs: 3_600_000 as number | undefined,
  from: 0,
  to: 0,
  /** Candles drawn, oldest first, by window start in ms. */
  bars: [] as Row[],
  lastPrice: undefined as number | undefined,
  trades: [] as [number, number, number][],
  loads: 0,
  ticks: 0,
  loadSeq: 0,
};

const fmtTime = (ms: number) => new Date(ms).toISOString().slice(11, 19);
const toInput = (ms: number) => new Date(ms).toISOString().slice(0, 16);
const fromInput = (v: string) => Date.parse(`${v}Z`);
const sec = (ms: number) => Math.floor(ms / 1000) as UTCTimestamp;

function candleOf(r: Row): CandlestickData<UTCTimestamp> {
  return { time: sec(r[0]), open: r[1], high: r[2], low: r[3], close: r[4] };
}
function volumeOf(r: Row): HistogramData<UTCTimestamp> {
  return {
    time: sec(r[0]),
    value: r[5],
    color: r[4] >= r[1] ? "rgba(38,166,154,0.5)" : "rgba(239,83,80,0.5)",
  };
}

function status(text: string) {
  el("status").textContent = text;
}

function drawAll() {
  candleSeries.setData(state.bars.map(candleOf));
  volumeSeries.setData(state.bars.map(volumeOf));
}

function syncControls() {
  (el("symbol") as HTMLSelectElement).value = state.symbol;
  for (
    const b of document.querySelectorAll<HTMLButtonElement>("#ranges button")
  ) {
    b.classList.toggle("active", Number(b.dataset.range) === state.liveMs);
  }
  (el("from") as HTMLInputElement).value = toInput(state.from);
  (el("to") as HTMLInputElement).value = toInput(state.to);
  const params = new URLSearchParams({ symbol: state.symbol });
  if (state.liveMs !== undefined) params.set("range", String(state.liveMs));
  else {
    params.set("from", String(state.from));
    params.set("to", String(state.to));
  }
  history.replaceState(null, "", `?${params}`);
}

async function load(): Promise<void> {
  const seq = ++state.loadSeq;
  if (state.liveMs !== undefined) {
    const now = Date.now();
    state.to = now - (now % MINUTE) + MINUTE;
    state.from = state.to - state.liveMs;
  }
  syncControls();
  document.body.dataset.state = "loading";
  const q = new URLSearchParams({
    symbol: state.symbol,
    from: String(state.from),
    to: String(state.to),
  });
  let res: Response;
  try {
    res = await fetch(`/api/candles?${q}`);
  } catch {
    status("server unreachable; retrying");
    setTimeout(() => seq === state.loadSeq && load(), 2000);
    return;
  }
  const body = await res.json();
  if (seq !== state.loadSeq) return; // a newer load started meanwhile
  if (!res.ok) {
    status(`${body.error?.kind ?? res.status}: ${body.error?.message ?? ""}`);
    document.body.dataset.state = "error";
    if (res.status === 503) {
      setTimeout(() => seq === state.loadSeq && load(), 2000);
    }
    return;
  }
  state.bars = body.rows as Row[];
  drawAll();
  chart.timeScale().fitContent();
  status(`${state.bars.length} candles`);
  // Two frames: the chart has painted the new data when the second one runs.
  await new Promise((r) =>
    requestAnimationFrame(() => requestAnimationFrame(r))
  );
  if (seq !== state.loadSeq) return;
  state.loads++;
  performance.mark(`tickline:chart-ready:${state.loads}`);
  document.body.dataset.loads = String(state.loads);
  document.body.dataset.state = "ready";
}

/** Puts live candles into the drawn range; older bars that changed trigger a redraw. */
function mergeCandles(rows: Tick["candles"]) {
  let redraw = false;
  for (const c of rows) {
    if (c[0] < state.from || c[0] >= state.to) continue;
    const row: Row = [c[0], c[1], c[2], c[3], c[4], c[5], 0, c[6]];
    const bars = state.bars;
    const last = bars.at(-1);
    if (!last || row[0] > last[0]) {
      bars.push(row);
    } else if (row[0] === last[0]) {
      bars[bars.length - 1] = row;
    } else {
      // Binary search: the page may hold 43,200 bars.
      let lo = 0, hi = bars.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (bars[mid][0] < row[0]) lo = mid + 1;
        else hi = mid;
      }
      if (bars[lo]?.[0] === row[0]) bars[lo] = row;
      else bars.splice(lo, 0, row);
      redraw = true;
      continue;
    }
    if (!redraw) {
      candleSeries.update(candleOf(row));
      volumeSeries.update(volumeOf(row));
    }
  }
  if (redraw) drawAll();
}

function showTrades(trades: Tick["trades"]) {
  if (trades.length === 0) return;
  const prev = state.lastPrice;
  // Keep more than the table shows so a test can find a trade among many.
  state.trades = [...trades.slice().reverse(), ...state.trades].slice(0, 1000);
  const price = trades[trades.length - 1][1];
  state.lastPrice = price;
  const last = el("last");
  last.textContent = price.toFixed(price < 10 ? 4 : 2);
  last.className = prev === undefined || price === prev
    ? ""
    : price > prev
    ? "up"
    : "down";
  if (!lastLine) {
    lastLine = candleSeries.createPriceLine({
      price,
      color: "#2962ff",
      lineWidth: 1,
      lineStyle: LineStyle.Dashed,
      axisLabelVisible: true,
      title: "last",
    });
  } else lastLine.applyOptions({ price });
  const rows = state.trades.slice(0, 40).map(([t, p, v]) =>
    `<tr><td>${fmtTime(t)}</td><td>${p.toFixed(p < 10 ? 4 : 2)}</td><td>${+v
      .toFixed(4)}</td></tr>`
  ).join("");
  el("trades").querySelector("tbody")!.innerHTML = rows;
}

function showHealth(h: Health) {
  const set = (id: string, text: string, ok?: boolean) => {
    const e = el(id);
    e.textContent = text;
    e.className = ok === undefined ? "" : ok ? "ok" : "bad";
  };
  set(
    "h-feed",
    `feed ${h.feedConnected ? "● connected" : "○ down"}`,
    h.feedConnected,
  );
  set("h-rate", `trades/s ${h.tradesPerSec.toFixed(1)}`);
  set("h-lag", `lag ${h.consumerLag}`, h.consumerLag < 1000);
  set("h-restarts", `restarts ${h.restarts}`, h.restarts === 0);
  set("h-store", `store ${h.storeUp ? "up" : "down"}`, h.storeUp);
}

let stream: EventSource | undefined;
function connect() {
  stream?.close();
  state.trades = [];
  state.lastPrice = undefined;
  const source = new EventSource(
    `/api/stream?symbol=${encodeURIComponent(state.symbol)}`,
  );
  stream = source;
  source.addEventListener("tick", (e) => {
    const tick = JSON.parse((e as MessageEvent).data) as Tick;
    if (tick.symbol !== state.symbol) return;
    state.ticks++;
    // A live range slides forward with the clock.
    if (state.liveMs !== undefined && tick.now >= state.to) {
      state.to = tick.now - (tick.now % MINUTE) + MINUTE;
      state.from = state.to - state.liveMs;
    }
    mergeCandles(tick.candles);
    showTrades(tick.trades);
    showHealth(tick.health);
  });
  source.addEventListener("unavailable", (e) => {
    const body = JSON.parse((e as MessageEvent).data);
    showHealth(body.health);
    status("store unavailable; retrying");
  });
  source.addEventListener("reload", () => load());
}

function setSymbol(symbol: string) {
  state.symbol = symbol;
  connect();
  return load();
}
function setLive(ms: number) {
  state.liveMs = ms;
  return load();
}
function setRange(from: number, to: number) {
  state.liveMs = undefined;
  state.from = from;
  state.to = to;
  return load();
}

const picker = el("symbol") as HTMLSelectElement;
for (const s of config.symbols) picker.add(new Option(s, s));
picker.addEventListener("change", () => setSymbol(picker.value));
for (
  const b of document.querySelectorAll<HTMLButtonElement>("#ranges button")
) {
  b.addEventListener("click", () => setLive(Number(b.dataset.range)));
}
el("custom").addEventListener("submit", (e) => {
  e.preventDefault();
  const from = fromInput((el("from") as HTMLInputElement).value);
  const to = fromInput((el("to") as HTMLInputElement).value);
  if (!(from < to)) return status("from must be before to");
  setRange(from, to);
});

// For tests and curious people: what the chart holds, read from the chart itself.
Object.assign(globalThis, {
  tickline: {
    candles: () => candleSeries.data(),
    volumes: () => volumeSeries.data(),
    state: () => ({
      symbol: state.symbol,
      from: state.from,
      to: state.to,
      live: state.liveMs !== undefined,
      loads: state.loads,
      ticks: state.ticks,
      lastPrice: state.lastPrice,
      trades: state.trades,
    }),
  },
});

const initial = new URLSearchParams(location.search);
const wanted = initial.get("symbol");
if (wanted && config.symbols.includes(wanted)) state.symbol = wanted;
if (initial.has("from") && initial.has("to")) {
  state.liveMs = undefined;
  state.from = Number(initial.get("from"));
  state.to = Number(initial.get("to"));
} else if (initial.has("range")) {
  state.liveMs = Number(initial.get("range")) || 3_600_000;
}
connect();
load();
