/* liqwatch dashboard. Plain JS, no build step. Reads the HTTP API (/api/...) and the live stream
 * (WS /api/stream) described in the API contract. Every panel loads on its own: an endpoint that
 * fails shows its error in that panel and the rest of the page keeps going. */
"use strict";

(function () {
  const MIN5 = 5 * 60 * 1000;
  const WINDOW_MS = { "1h": 3600e3, "4h": 4 * 3600e3, "12h": 12 * 3600e3, "24h": 24 * 3600e3 };
  const FEED_KEEP = 400; // events kept in memory for re-filtering
  const FEED_SHOW = 150; // rows in the DOM
  const TIERS = [10e6, 1e6, 100e3, 10e3]; // t4 .. t1 (aggr.trade style: bigger = louder)
  const VENUE_NAMES = {
    binance_usdm: "Binance", binance_coinm: "Binance COIN-M", bybit: "Bybit", okx: "OKX", bitmex: "BitMEX",
    deribit: "Deribit", bitget: "Bitget", gate: "Gate", hyperliquid: "Hyperliquid",
  };

  const $ = (sel, root) => (root || document).querySelector(sel);
  const store = {
    get(key, fallback) {
      try { const v = localStorage.getItem("liqwatch." + key); return v === null ? fallback : JSON.parse(v); }
      catch (_) { return fallback; }
    },
    set(key, value) { try { localStorage.setItem("liqwatch." + key, JSON.stringify(value)); } catch (_) { /* private mode */ } },
  };

  const state = {
    windows: ["1h", "4h", "12h", "24h"],
    summary: null,
    offset: 0, // server clock - local clock (ms), from the summary's `at`
    tableWindow: "24h",
    range: "24h",
    coin: store.get("coin", "BTC"),
    feedMin: store.get("feedMin", 10000),
    sound: false,
    feed: [], // newest first
    feedIds: new Set(),
    liveTimes: [], // local receive times of live events (rate)
    wsLive: false,
  };

  // ---------- formatting ----------
  function fmtUsd(n) {
    if (n === null || n === undefined || !isFinite(n)) return "—";
    const a = Math.abs(n), s = n < 0 ? "-" : "";
    if (a >= 1e9) return s + "$" + (a / 1e9).toFixed(2) + "B";
    if (a >= 1e6) return s + "$" + (a / 1e6).toFixed(1) + "M";
    if (a >= 1e3) return s + "$" + (a / 1e3).toFixed(1) + "k";
    return s + "$" + a.toFixed(0);
  }
  const fmtInt = (n) => (n === null || n === undefined ? "—" : Math.round(n).toLocaleString("en-US"));
  function fmtPrice(p) {
    if (p === null || p === undefined || !isFinite(p)) return "—";
    const d = p >= 1000 ? 0 : p >= 10 ? 2 : p >= 1 ? 3 : 5;
    return p.toLocaleString("en-US", { minimumFractionDigits: d, maximumFractionDigits: d });
  }
  const pad = (n) => String(n).padStart(2, "0");
  function fmtTime(ms, seconds) {
    const d = new Date(ms);
    return pad(d.getHours()) + ":" + pad(d.getMinutes()) + (seconds === false ? "" : ":" + pad(d.getSeconds()));
  }
  function fmtAge(ms) {
    if (!ms) return "—";
    const s = Math.max(0, (serverNow() - ms) / 1000);
    if (s < 60) return Math.round(s) + "s ago";
    if (s < 3600) return Math.round(s / 60) + "m ago";
    if (s < 86400) return Math.round(s / 3600) + "h ago";
    return Math.round(s / 86400) + "d ago";
  }
  const venueName = (v) => VENUE_NAMES[v] || v;
  const serverNow = () => Date.now() + state.offset;
  function tierOf(usd) {
    for (let i = 0; i < TIERS.length; i++) if (usd >= TIERS[i]) return 4 - i;
    return 0;
  }
  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    if (attrs) for (const k in attrs) {
      const v = attrs[k];
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") node.className = v;
      else if (k === "text") node.textContent = v;
      else node.setAttribute(k, v === true ? "" : v);
    }
    if (children) for (const c of children) if (c !== null && c !== undefined) node.append(c);
    return node;
  }
  /** A cell/span carrying a raw number for tests: data-field + data-value. */
  function numEl(tag, field, value, text, cls) {
    return el(tag, { class: cls, "data-field": field, "data-value": value === null || value === undefined ? "" : String(value), text });
  }

  // ---------- HTTP ----------
  // An API behind an access token: the page's own ?token= goes along with every request and the stream.
  const pageToken = new URLSearchParams(location.search).get("token");
  function withToken(url) {
    if (!pageToken) return url;
    return url + (url.includes("?") ? "&" : "?") + "token=" + encodeURIComponent(pageToken);
  }

  async function api(path) {
    let resp;
    try { resp = await fetch(withToken(path), { headers: { Accept: "application/json" }, cache: "no-store" }); }
    catch (e) { throw new Error("network error: " + e.message); }
    if (!resp.ok) {
      let detail = "";
      try { const body = await resp.json(); detail = typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail || body); }
      catch (_) { detail = resp.statusText; }
      throw new Error(`${path.split("?")[0]}: HTTP ${resp.status}${detail ? " — " + detail : ""}`);
    }
    return resp.json();
  }
  function panelError(name, err) {
    const box = document.querySelector(`[data-testid="error-${name}"]`);
    if (!box) return;
    if (err) { box.textContent = "Could not load: " + (err.message || err); box.hidden = false; }
    else box.hidden = true;
  }
  /** Run a panel loader; its failure stays in its panel. */
  async function guarded(name, fn) {
    try { await fn(); panelError(name, null); }
    catch (e) { console.warn("[liqwatch]", name, e); panelError(name, e); }
  }

  // ---------- window cards ----------
  function buildCards() {
    const root = $("#windows");
    for (const w of state.windows) {
      if (root.querySelector(`.card[data-window="${w}"]`)) continue;
      const card = el("article", { class: "panel card", "data-window": w, "data-testid": "card-" + w }, [
        el("div", { class: "card-head" }, [
          el("span", { class: "w", text: w.toUpperCase() }),
          el("span", { class: "cnt" }, [numEl("span", "count", null, "—"), " orders"]),
        ]),
        numEl("div", "total_usd", null, "—", "total"),
        el("div", { class: "split" }, [el("span", { class: "l" }), el("span", { class: "s" })]),
        el("div", { class: "ls" }, [
          el("span", { class: "l" }, ["L ", numEl("span", "long_usd", null, "—"), " ", el("small", {}, [numEl("span", "long_count", null, "")])]),
          el("span", { class: "s" }, [el("small", {}, [numEl("span", "short_count", null, "")]), " ", numEl("span", "short_usd", null, "—"), " S"]),
        ]),
        el("div", { class: "big", "data-field": "largest" }, ["largest —"]),
      ]);
      root.append(card);
    }
  }
  function setNum(root, field, value, text) {
    const node = root.querySelector(`[data-field="${field}"]`);
    if (!node) return;
    node.dataset.value = value === null || value === undefined ? "" : String(value);
    node.textContent = text;
  }
  function renderSummary(doc) {
    if (!doc || !doc.windows) return;
    state.summary = doc;
    if (typeof doc.at === "number") state.offset = doc.at - Date.now();
    const names = Object.keys(doc.windows);
    if (names.length && names.join() !== state.windows.join()) {
      state.windows = names;
      $("#windows").querySelectorAll(".card").forEach((c) => { if (!names.includes(c.dataset.window)) c.remove(); });
    }
    buildCards();
    for (const w of state.windows) {
      const s = doc.windows[w];
      const card = $(`#windows .card[data-window="${w}"]`);
      if (!s || !card) continue;
      const prev = card.querySelector('[data-field="total_usd"]').dataset.value;
      setNum(card, "total_usd", s.total_usd, fmtUsd(s.total_usd));
      setNum(card, "long_usd", s.long_usd, fmtUsd(s.long_usd));
      setNum(card, "short_usd", s.short_usd, fmtUsd(s.short_usd));
      setNum(card, "count", s.count, fmtInt(s.count));
      setNum(card, "long_count", s.long_count, s.long_count === undefined ? "" : fmtInt(s.long_count));
      setNum(card, "short_count", s.short_count, s.short_count === undefined ? "" : fmtInt(s.short_count));
      const tot = (s.long_usd || 0) + (s.short_usd || 0);
      const lp = tot > 0 ? (100 * s.long_usd) / tot : 50;
      card.querySelector(".split .l").style.width = lp + "%";
      card.querySelector(".split .s").style.width = 100 - lp + "%";
      card.querySelector(".split").title = tot > 0 ? `longs ${lp.toFixed(0)}% · shorts ${(100 - lp).toFixed(0)}%` : "";
      const big = card.querySelector('[data-field="largest"]');
      big.replaceChildren();
      if (s.largest) {
        const e = s.largest;
        big.dataset.value = String(e.usd);
        big.append("largest ", el("b", { class: e.side, text: fmtUsd(e.usd) }), ` ${e.coin} ${e.side} · ${venueName(e.venue)}`);
        big.title = `${e.symbol} ${e.side} ${fmtUsd(e.usd)} on ${e.venue} at ${new Date(e.ts).toISOString()}`;
      } else {
        big.dataset.value = "";
        big.append("largest —");
      }
      card.title = s.unpriced_count ? `${s.unpriced_count} liquidations without a USD price are counted but not summed` : "";
      if (prev !== undefined && prev !== "" && prev !== String(s.total_usd)) {
        card.classList.remove("flash"); void card.offsetWidth; card.classList.add("flash");
      }
    }
    $("#clock").textContent = "updated " + fmtTime(doc.at || Date.now());
    $("#clock").dataset.value = String(doc.at || "");
  }
  const loadSummary = () => guarded("windows", async () => renderSummary(await api("/api/summary")));

  // ---------- live feed ----------
  function feedRow(e, fresh) {
    const tier = tierOf(e.usd || 0);
    const li = el("li", {
      class: `${e.side} t${tier}${fresh ? " new" : ""}`, "data-testid": "feed-item", "data-id": e.id,
      "data-usd": String(e.usd), "data-side": e.side, "data-coin": e.coin, "data-venue": e.venue,
      title: `${e.symbol} · ${e.side} liquidated · ${fmtUsd(e.usd)} · ${e.qty} @ ${fmtPrice(e.price)} · ${e.venue}` +
        (e.coverage === "sampled" ? " (sampled feed)" : ""),
    }, [
      el("span", { class: "t", text: fmtTime(e.ts) }),
      el("span", { class: "c" }, [el("b", { text: e.coin }), el("span", { class: "v", text: venueName(e.venue) })]),
      el("span", { class: "u", text: fmtUsd(e.usd) }),
    ]);
    return li;
  }
  function renderFeed() {
    const list = $("#feed");
    const rows = [];
    for (const e of state.feed) {
      if ((e.usd || 0) < state.feedMin) continue;
      rows.push(feedRow(e, false));
      if (rows.length >= FEED_SHOW) break;
    }
    list.replaceChildren(...rows);
    $("#feed-empty").hidden = rows.length > 0;
  }
  let pending = [], flushTimer = null;
  function addEvents(events, live) {
    if (!live) { applyEvents(events, false); return; }
    // live events are rendered in small batches: a flood (a cascade: hundreds a second) stays one
    // DOM update per tick and stays readable (no entry animation when many rows arrive at once)
    pending.push(...events);
    if (!flushTimer) flushTimer = setTimeout(() => { flushTimer = null; const b = pending; pending = []; applyEvents(b, true); }, 120);
  }
  // the API's order, (ts, id): liquidations of one cascade often share a timestamp
  const byTsId = (a, b) => a.ts - b.ts || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  function applyEvents(events, live) {
    const fresh = [];
    for (const e of events) {
      if (!e || !e.id || state.feedIds.has(e.id)) continue;
      state.feedIds.add(e.id);
      fresh.push(e);
    }
    if (!fresh.length) return;
    fresh.sort(byTsId);
    const list = $("#feed");
    const shown = fresh.filter((e) => (e.usd || 0) >= state.feedMin);
    const calm = shown.length <= 4;
    for (const e of fresh) {
      state.feed.unshift(e);
      if (live) state.liveTimes.push(Date.now());
    }
    for (const e of shown) {
      list.prepend(feedRow(e, live && (calm || tierOf(e.usd) >= 3)));
      if (live) beep(e);
    }
    state.feed.sort((a, b) => byTsId(b, a));
    while (state.feed.length > FEED_KEEP) state.feedIds.delete(state.feed.pop().id);
    while (list.children.length > FEED_SHOW) list.lastElementChild.remove();
    $("#feed-empty").hidden = list.children.length > 0;
    if (live) chartAddEvents(fresh);
  }
  const loadFeed = () => guarded("feed", async () => {
    const doc = await api("/api/events?order=desc&limit=100");
    addEvents(doc.events || [], false);
  });
  function updateRate() {
    const cut = Date.now() - 60000;
    while (state.liveTimes.length && state.liveTimes[0] < cut) state.liveTimes.shift();
    $("#feed-rate").textContent = state.wsLive ? `· ${state.liveTimes.length}/min` : "";
  }

  // ---------- sound (WebAudio, off by default) ----------
  let audio = null, lastBeep = 0;
  function beep(e) {
    if (!state.sound || !audio || (e.usd || 0) < Math.max(state.feedMin, 10000)) return;
    const now = audio.currentTime;
    if (now - lastBeep < 0.06) return;
    lastBeep = now;
    const mag = Math.min(1, Math.max(0, (Math.log10(e.usd) - 4) / 3)); // $10k → 0, $10M → 1
    const osc = audio.createOscillator(), gain = audio.createGain();
    osc.type = e.side === "long" ? "sawtooth" : "triangle";
    const base = e.side === "long" ? 330 : 660;
    osc.frequency.setValueAtTime(base * (1 - 0.6 * mag), now);
    const vol = 0.04 + 0.3 * mag, dur = 0.07 + 0.35 * mag;
    gain.gain.setValueAtTime(0.0001, now);
    gain.gain.exponentialRampToValueAtTime(vol, now + 0.01);
    gain.gain.exponentialRampToValueAtTime(0.0001, now + dur);
    osc.connect(gain).connect(audio.destination);
    osc.start(now); osc.stop(now + dur + 0.02);
  }
  function setupSound() {
    const btn = $("#sound");
    btn.addEventListener("click", () => {
      state.sound = !state.sound;
      if (state.sound && !audio) {
        const Ctx = window.AudioContext || window.webkitAudioContext;
        if (Ctx) audio = new Ctx();
      }
      if (audio && audio.state === "suspended") audio.resume();
      btn.setAttribute("aria-pressed", String(state.sound));
      btn.textContent = state.sound ? "Sound on" : "Sound off";
    });
  }

  // ---------- chart: long/short per 5 min + price ----------
  let plot = null;
  const chart = { xs: [], shorts: [], longs: [], price: [], index: new Map() };
  function chartHeight() { return window.innerWidth < 760 ? 240 : 330; }
  function tooltipPlugin() {
    let tip;
    return {
      hooks: {
        init: (u) => { tip = el("div", { class: "u-tip", hidden: true }); u.over.append(tip); },
        setCursor: (u) => {
          const i = u.cursor.idx;
          if (i === null || i === undefined || u.cursor.left < 0) { tip.hidden = true; return; }
          const x = u.data[0][i];
          const s = u.data[1][i] || 0, l = -(u.data[2][i] || 0), p = u.data[3][i];
          tip.replaceChildren(
            el("div", { text: fmtTime((x - 300) * 1000, false) + "–" + fmtTime(x * 1000, false) }),
            el("div", { class: "s", text: "shorts " + fmtUsd(s) }),
            el("div", { class: "l", text: "longs  " + fmtUsd(l) }),
            el("div", { class: "p", text: state.coin + " " + (p === null || p === undefined ? "—" : fmtPrice(p)) }),
          );
          tip.hidden = false;
          const w = u.over.clientWidth, left = u.cursor.left;
          tip.style.left = (left > w - 170 ? left - 160 : left + 12) + "px";
          tip.style.top = "8px";
        },
      },
    };
  }
  function makePlot() {
    const box = $("#chart");
    const axis = { stroke: "#7d8799", grid: { stroke: "rgba(35,43,59,0.7)", width: 1 }, ticks: { stroke: "#232b3b", width: 1 }, font: "11px system-ui" };
    const bars = uPlot.paths && uPlot.paths.bars ? uPlot.paths.bars({ size: [0.8, 14], gap: 1 }) : undefined;
    const opts = {
      width: Math.max(200, box.clientWidth - 8), height: chartHeight(),
      padding: [8, 4, 0, 4],
      legend: { show: false },
      cursor: { points: { show: false }, drag: { x: false, y: false } },
      scales: { x: { time: true }, usd: { range: (u, min, max) => { const m = Math.max(Math.abs(min), Math.abs(max), 1) * 1.08; return [-m, m]; } }, p: { auto: true } },
      axes: [
        Object.assign({}, axis, { space: 60 }),
        Object.assign({}, axis, { scale: "usd", size: 58, values: (u, vals) => vals.map((v) => fmtUsd(Math.abs(v))) }),
        Object.assign({}, axis, { scale: "p", side: 1, size: 62, grid: { show: false }, stroke: "#c9a646", values: (u, vals) => vals.map((v) => fmtPrice(v)) }),
      ],
      series: [
        {},
        { label: "shorts", scale: "usd", fill: "rgba(31,207,132,0.85)", stroke: "#1fcf84", width: 0, paths: bars, points: { show: false } },
        { label: "longs", scale: "usd", fill: "rgba(255,77,94,0.85)", stroke: "#ff4d5e", width: 0, paths: bars, points: { show: false } },
        { label: "price", scale: "p", stroke: "#f5c451", width: 1.5, spanGaps: true, points: { show: false } },
      ],
      plugins: [tooltipPlugin()],
    };
    plot = new uPlot(opts, [[], [], [], []], box);
    new ResizeObserver(() => {
      if (plot) plot.setSize({ width: Math.max(200, box.clientWidth - 8), height: chartHeight() });
    }).observe(box);
  }
  function chartFrame() {
    const span = WINDOW_MS[state.range] || WINDOW_MS["24h"];
    const end = Math.ceil(serverNow() / MIN5) * MIN5;
    const start = end - span;
    chart.xs = []; chart.shorts = []; chart.longs = []; chart.price = []; chart.index = new Map();
    for (let t = start + MIN5; t <= end; t += MIN5) {
      chart.index.set(t, chart.xs.length);
      chart.xs.push(t / 1000); chart.shorts.push(null); chart.longs.push(null); chart.price.push(null);
    }
    return { start, end };
  }
  let redrawQueued = false;
  function redraw() {
    if (!plot || redrawQueued) return;
    redrawQueued = true;
    requestAnimationFrame(() => {
      redrawQueued = false;
      plot.setData([chart.xs, chart.shorts, chart.longs, chart.price]);
    });
  }
  function bucketEnd(ts) { return Math.ceil(ts / MIN5) * MIN5; }
  function chartAddEvents(events) {
    if (!chart.xs.length) return;
    for (const e of events) {
      if (!e.usd) continue;
      let end = bucketEnd(e.ts);
      const last = chart.xs[chart.xs.length - 1] * 1000;
      while (end > last && chart.xs.length) { // roll the frame forward
        const t = chart.xs[chart.xs.length - 1] * 1000 + MIN5;
        chart.xs.push(t / 1000); chart.shorts.push(null); chart.longs.push(null); chart.price.push(null);
        chart.xs.shift(); chart.shorts.shift(); chart.longs.shift(); chart.price.shift();
        chart.index = new Map(chart.xs.map((x, i) => [x * 1000, i]));
        if (t >= end) break;
      }
      const i = chart.index.get(end);
      if (i === undefined) continue;
      if (e.side === "short") chart.shorts[i] = (chart.shorts[i] || 0) + e.usd;
      else if (e.side === "long") chart.longs[i] = (chart.longs[i] || 0) - e.usd;
    }
    redraw();
  }
  async function loadChart() {
    const { start, end } = chartFrame();
    const span = `since=${start}&until=${end}`;
    const [hist, prices] = await Promise.allSettled([
      api(`/api/history?interval=5m&${span}`),
      api(`/api/prices?coin=${encodeURIComponent(state.coin)}&interval=5m&${span}`),
    ]);
    const errors = [];
    if (hist.status === "fulfilled") {
      for (const p of hist.value.points || []) {
        const i = chart.index.get(p.ts);
        if (i === undefined) continue;
        chart.shorts[i] = p.short_usd || null;
        chart.longs[i] = p.long_usd ? -p.long_usd : null;
      }
    } else errors.push(hist.reason);
    let priced = 0;
    if (prices.status === "fulfilled") {
      for (const c of prices.value.candles || []) {
        const i = chart.index.get(c.ts + MIN5); // candle open + 5m = its close, aligned with bucket ends
        if (i === undefined) continue;
        chart.price[i] = c.close; priced++;
      }
    } else errors.push(prices.reason);
    $("#price-note").hidden = priced > 0;
    $("#price-note").textContent = prices.status === "fulfilled" ? `no price data for ${state.coin}` : "price unavailable";
    $("#price-label").textContent = state.coin + " price";
    $("#chart").dataset.points = String(chart.xs.length);
    $("#chart").dataset.priced = String(priced);
    redraw();
    if (errors.length) throw new Error(errors.map((e) => e.message || e).join("; "));
  }
  const refreshChart = () => guarded("history", loadChart);

  // ---------- tables ----------
  function splitBar(l, s) {
    const t = (l || 0) + (s || 0), lp = t > 0 ? (100 * l) / t : 50;
    const bar = el("div", { class: "split", title: t > 0 ? `longs ${lp.toFixed(0)}%` : "" }, [el("span", { class: "l" }), el("span", { class: "s" })]);
    bar.children[0].style.width = lp + "%"; bar.children[1].style.width = 100 - lp + "%";
    return bar;
  }
  function emptyRow(cols, text) { return el("tr", {}, [el("td", { colspan: cols, class: "empty", text })]); }
  async function loadCoins() {
    const doc = await api(`/api/coins?window=${state.tableWindow}&limit=30`);
    const rows = (doc.coins || []).map((c) => el("tr", { "data-coin": c.coin }, [
      el("td", { class: "coin", text: c.coin }),
      numEl("td", "total_usd", c.total_usd, fmtUsd(c.total_usd), "num"),
      numEl("td", "long_usd", c.long_usd, fmtUsd(c.long_usd), "num l"),
      numEl("td", "short_usd", c.short_usd, fmtUsd(c.short_usd), "num s"),
      el("td", { class: "split-cell" }, [splitBar(c.long_usd, c.short_usd)]),
      numEl("td", "count", c.count, fmtInt(c.count), "num"),
    ]));
    $("#coins-table tbody").replaceChildren(...(rows.length ? rows : [emptyRow(6, "no liquidations in this window")]));
    updateCoinChoices((doc.coins || []).map((c) => c.coin));
  }
  async function loadExchanges() {
    const doc = await api(`/api/exchanges?window=${state.tableWindow}`);
    const rows = (doc.exchanges || []).map((x) => el("tr", { "data-venue": x.venue }, [
      el("td", {}, [venueName(x.venue), " ", x.coverage === "sampled" ? el("span", { class: "badge sampled hide-phone", text: "sampled", title: "at most one liquidation per symbol per second is published: a lower bound" }) : null]),
      numEl("td", "total_usd", x.total_usd, fmtUsd(x.total_usd), "num"),
      numEl("td", "long_usd", x.long_usd, fmtUsd(x.long_usd), "num l"),
      numEl("td", "short_usd", x.short_usd, fmtUsd(x.short_usd), "num s"),
      numEl("td", "count", x.count, fmtInt(x.count), "num"),
    ]));
    $("#exchanges-table tbody").replaceChildren(...(rows.length ? rows : [emptyRow(5, "no liquidations in this window")]));
  }
  async function loadLargest() {
    const since = serverNow() - WINDOW_MS[state.tableWindow];
    const doc = await api(`/api/largest?n=10&since=${Math.floor(since)}`);
    const rows = (doc.events || []).map((e) => el("tr", { "data-id": e.id, title: `${e.symbol} ${e.qty} @ ${fmtPrice(e.price)}` }, [
      el("td", { class: "mono", text: fmtTime(e.ts, false) }),
      el("td", { class: "coin", text: e.coin }),
      el("td", {}, [el("span", { class: "side " + e.side, text: e.side })]),
      numEl("td", "usd", e.usd, fmtUsd(e.usd), "num " + (e.side === "long" ? "l" : "s")),
      el("td", { text: venueName(e.venue) }),
    ]));
    $("#largest-table tbody").replaceChildren(...(rows.length ? rows : [emptyRow(5, "no liquidations in this window")]));
  }
  function renderVenues(venues) {
    const rows = (venues || []).map((v) => {
      const gap = v.open_gap_since ? el("span", { class: "badge gap", "data-field": "open_gap_since", "data-value": String(v.open_gap_since), title: "no data since " + new Date(v.open_gap_since).toISOString(), text: "gap " + fmtAge(v.open_gap_since).replace(" ago", "") }) : null;
      return el("tr", { "data-venue": v.venue, "data-state": v.state }, [
        el("td", { text: venueName(v.venue) }),
        el("td", {}, [el("span", { class: "state " + v.state, "data-field": "state", "data-value": v.state, title: `${v.reconnects ?? 0} reconnects · ${v.gaps ?? 0} gaps · ${v.dead_letters ?? 0} dead letters` }, [el("i"), v.state]), " ", gap]),
        el("td", {}, [v.coverage ? el("span", { class: "badge " + v.coverage, text: v.coverage }) : "—"]),
        numEl("td", "last_event_ts", v.last_event_ts, fmtAge(v.last_event_ts), "num hide-phone"),
        numEl("td", "events_24h", v.events_24h, fmtInt(v.events_24h), "num"),
      ]);
    });
    $("#venues-table tbody").replaceChildren(...(rows.length ? rows : [emptyRow(5, "no venue activity yet")]));
  }
  const loadVenues = async () => renderVenues((await api("/api/venues")).venues);
  function loadTables() {
    return Promise.all([
      guarded("coins", loadCoins), guarded("exchanges", loadExchanges), guarded("largest", loadLargest),
    ]);
  }
  function updateCoinChoices(top) {
    const sel = $("#coin");
    const have = new Set([...sel.options].map((o) => o.value));
    for (const c of top.slice(0, 12)) if (!have.has(c)) { sel.append(el("option", { text: c })); have.add(c); }
    if (!have.has(state.coin)) sel.append(el("option", { text: state.coin }));
    sel.value = state.coin;
  }

  // ---------- live stream ----------
  let ws = null, backoff = 500, lastMsg = 0, retryTimer = null;
  function setConn(stateName, label) {
    const c = $("#conn");
    c.dataset.state = stateName;
    c.querySelector(".conn-label").textContent = label;
    state.wsLive = stateName === "live";
  }
  function connect() {
    clearTimeout(retryTimer);
    setConn("connecting", "connecting");
    const url = withToken((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/api/stream");
    try { ws = new WebSocket(url); } catch (e) { scheduleReconnect(); return; }
    ws.onopen = () => { backoff = 500; lastMsg = Date.now(); setConn("live", "live"); };
    ws.onmessage = (m) => {
      lastMsg = Date.now();
      let msg; try { msg = JSON.parse(m.data); } catch (_) { return; }
      if (msg.type === "liquidations") addEvents(msg.events || [], true);
      else if (msg.type === "summary") { renderSummary(msg.summary); panelError("windows", null); }
      else if (msg.type === "venues") { renderVenues(msg.venues); panelError("venues", null); }
      else if (msg.type === "hello") {
        if (typeof msg.at === "number") state.offset = msg.at - Date.now();
      } else if (msg.type === "skipped") console.info("[liqwatch] stream skipped", msg.dropped, "messages");
    };
    ws.onclose = () => { ws = null; scheduleReconnect(); };
    ws.onerror = () => { /* onclose follows */ };
  }
  function scheduleReconnect() {
    const wait = Math.min(15000, backoff) * (0.8 + 0.4 * Math.random());
    backoff = Math.min(15000, backoff * 2);
    setConn("offline", `reconnecting in ${Math.ceil(wait / 1000)}s`);
    retryTimer = setTimeout(() => { connect(); loadFeed(); }, wait);
  }
  function watchdog() {
    // an open but silent stream is a failure too: the server sends a summary about once a second
    if (ws && ws.readyState === WebSocket.OPEN && Date.now() - lastMsg > 12000) { try { ws.close(); } catch (_) { /* closing */ } }
    if (!state.wsLive) { loadSummary(); guarded("venues", loadVenues); }
  }

  // ---------- wiring ----------
  function setupControls() {
    document.querySelectorAll("#panel-coins .window-seg button").forEach((b) => {
      b.classList.toggle("on", b.dataset.window === state.tableWindow);
      b.addEventListener("click", () => {
        state.tableWindow = b.dataset.window;
        document.querySelectorAll("#panel-coins .window-seg button").forEach((x) => x.classList.toggle("on", x === b));
        document.querySelectorAll(".window-label").forEach((x) => { x.textContent = "· " + state.tableWindow; });
        loadTables();
      });
    });
    document.querySelectorAll("#range button").forEach((b) => {
      b.addEventListener("click", () => {
        state.range = b.dataset.range;
        document.querySelectorAll("#range button").forEach((x) => x.classList.toggle("on", x === b));
        refreshChart();
      });
    });
    const coin = $("#coin");
    updateCoinChoices([]);
    coin.addEventListener("change", () => {
      state.coin = coin.value; store.set("coin", state.coin); refreshChart();
      document.dispatchEvent(new CustomEvent("liqwatch:coin", { detail: state.coin }));
    });
    const min = $("#feed-min");
    min.value = String(state.feedMin);
    if (min.value !== String(state.feedMin)) { state.feedMin = 10000; min.value = "10000"; }
    min.addEventListener("change", () => { state.feedMin = Number(min.value); store.set("feedMin", state.feedMin); renderFeed(); });
    setupSound();
  }

  async function start() {
    buildCards();
    setupControls();
    try { makePlot(); } catch (e) { panelError("history", e); }
    await loadSummary(); // sets the server clock offset first
    connect();
    await Promise.all([loadFeed(), refreshChart(), loadTables(), guarded("venues", loadVenues)]);
    document.body.dataset.ready = "1";
    setInterval(loadTables, 10000);
    setInterval(refreshChart, 60000);
    setInterval(watchdog, 4000);
    setInterval(updateRate, 2000);
  }
  // shared with the levels and wallets panels (levels.js, wallets.js)
  window.liqwatch = { fmtUsd, fmtInt, fmtPrice, fmtTime, fmtAge, tierOf, state, el, numEl, api, guarded, serverNow };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
