/* liqwatch dashboard. Plain JS, no build step. Reads the HTTP API (/api/...) and the live stream
 * (WS /api/stream) described in the API contract. Every panel loads on its own: an endpoint that
 * fails shows its error in that panel and the rest of the page keeps going. */
"use strict";

(function () {
  const MIN5 = 5 * 60 * 1000;
  const HOUR_MS = 3600e3, DAY_MS = 24 * HOUR_MS;
  const WINDOW_MS = { "1h": HOUR_MS, "4h": 4 * HOUR_MS, "6h": 6 * HOUR_MS, "12h": 12 * HOUR_MS, "24h": DAY_MS };
  const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const FEED_KEEP = 400; // events kept in memory for re-filtering
  const FEED_SHOW = 150; // rows in the DOM
  const TIERS = [10e6, 1e6, 100e3, 10e3]; // t4 .. t1 (aggr.trade style: bigger = louder)
  const VENUE_NAMES = {
    binance_usdm: "Binance", binance_coinm: "Binance COIN-M", bybit: "Bybit", okx: "OKX", bitmex: "BitMEX",
    deribit: "Deribit", bitget: "Bitget", gate: "Gate", hyperliquid: "Hyperliquid", kraken_futures: "Kraken Futures",
    bitfinex: "Bitfinex", htx: "HTX", dydx: "dYdX", lighter: "Lighter", aster: "Aster",
  };
  const ALL = "all"; // the coin / venue filter value that means "every one"

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
    coin: store.get("coin", ALL), // the chart's coin: its bars and price line ("all": bars of every coin)
    feedMin: store.get("feedMin", 10000),
    feedVenue: store.get("feedVenue", ALL),
    feedCoin: store.get("feedCoin", ALL),
    utc: store.get("utc", true), // times in UTC (default) or the browser's zone
    daysRange: store.get("daysRange", 30),
    venuesLive: null, // venues connected, from /api/venues (null: not known yet)
    sound: false,
    feed: [], // newest first
    feedIds: new Set(),
    liveTimes: [], // local receive times of live events (rate)
    wsLive: false,
  };

  // ---------- formatting ----------
  // the house style (static/money.js, the same rules as liqwatch/money.py)
  const fmtUsd = (n) => window.LiqMoney.table(n);
  const fmtInt = (n) => (n === null || n === undefined ? "—" : Math.round(n).toLocaleString("en-US"));
  // prices in the house style without the "$" (axes and tables say what they are)
  function fmtPrice(p) {
    const text = window.LiqMoney.price(p);
    return text.startsWith("$") ? text.slice(1) : text;
  }
  const pad = (n) => String(n).padStart(2, "0");
  /** The calendar fields of `ms` in the zone the page shows (UTC unless the reader chose local). */
  function fields(ms) {
    const d = new Date(ms);
    return state.utc
      ? { y: d.getUTCFullYear(), mo: d.getUTCMonth(), d: d.getUTCDate(), h: d.getUTCHours(), mi: d.getUTCMinutes(), s: d.getUTCSeconds() }
      : { y: d.getFullYear(), mo: d.getMonth(), d: d.getDate(), h: d.getHours(), mi: d.getMinutes(), s: d.getSeconds() };
  }
  function tzName() {
    if (state.utc) return "UTC";
    const off = -new Date().getTimezoneOffset(), a = Math.abs(off);
    return "UTC" + (off < 0 ? "−" : "+") + pad(Math.floor(a / 60)) + (a % 60 ? ":" + pad(a % 60) : "");
  }
  /** "Dec 5" (or "Dec 5, 2025" in another year than the server's now). */
  function fmtDate(ms) {
    const f = fields(ms), now = fields(serverNow());
    return MONTHS[f.mo] + " " + f.d + (f.y !== now.y ? ", " + f.y : "");
  }
  /** "14:52:09", preceded by the date when `ms` is not on today's date: a 2022 event never reads as today's. */
  function fmtTime(ms, seconds) {
    const f = fields(ms), now = fields(serverNow());
    const clock = pad(f.h) + ":" + pad(f.mi) + (seconds === false ? "" : ":" + pad(f.s));
    const sameDay = f.y === now.y && f.mo === now.mo && f.d === now.d;
    return sameDay ? clock : fmtDate(ms) + " " + clock;
  }
  /** A compact stamp for table cells: "12-05 14:52" (minutes), in the zone the page shows. */
  function fmtMinute(ms) {
    const f = fields(ms);
    return `${pad(f.mo + 1)}-${pad(f.d)} ${pad(f.h)}:${pad(f.mi)}`;
  }
  /** A full stamp for titles: "2026-12-05 14:52:09 UTC". */
  function fmtStamp(ms) {
    const f = fields(ms);
    return `${f.y}-${pad(f.mo + 1)}-${pad(f.d)} ${pad(f.h)}:${pad(f.mi)}:${pad(f.s)} ${tzName()}`;
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
  // resolved once the server's clock is known (the demo's runs ahead of yours): ages wait for it
  let clockKnown = () => {};
  const clockReady = new Promise((resolve) => { clockKnown = resolve; });
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
    if (typeof doc.at === "number") { state.offset = doc.at - Date.now(); clockKnown(); }
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
      setSplit(card.querySelector(".split"), s.long_usd, s.short_usd);
      const big = card.querySelector('[data-field="largest"]');
      big.replaceChildren();
      if (s.largest) {
        const e = s.largest;
        big.dataset.value = String(e.usd);
        big.append("largest ", el("b", { class: e.side, text: fmtUsd(e.usd) }), ` ${e.coin} ${e.side} · ${venueName(e.venue)}`);
        big.title = `${e.symbol} ${e.side} ${fmtUsd(e.usd)} on ${venueName(e.venue)} at ${fmtStamp(e.ts)}`;
      } else {
        big.dataset.value = "";
        big.append(s.count ? "largest: unpriced" : "no liquidation recorded in this window");
      }
      card.classList.toggle("none", !s.count);
      card.title = s.unpriced_count ? `${s.unpriced_count} liquidations without a USD price are counted but not summed` : "";
      if (prev !== undefined && prev !== "" && prev !== String(s.total_usd)) {
        card.classList.remove("flash"); void card.offsetWidth; card.classList.add("flash");
      }
    }
    $("#clock").textContent = "updated " + fmtTime(doc.at || Date.now()) + " " + tzName();
    $("#clock").dataset.value = String(doc.at || "");
  }
  const loadSummary = () => guarded("windows", async () => renderSummary(await api("/api/summary")));

  // ---------- live feed ----------
  function fmtQty(q) {
    if (q === null || q === undefined || !isFinite(q)) return "—";
    const a = Math.abs(q);
    const opts = a >= 1000 ? { maximumFractionDigits: 0 } : a >= 1 ? { maximumFractionDigits: 3 } : { maximumSignificantDigits: 4 };
    return q.toLocaleString("en-US", opts); // toLocaleString never writes an exponent
  }
  function feedRow(e, fresh) {
    const tier = tierOf(e.usd || 0);
    const qty = e.qty === null || e.qty === undefined ? "" : `${fmtQty(e.qty)} @ ${fmtPrice(e.price)}`; // the coin is beside it
    const li = el("li", {
      class: `${e.side} t${tier}${fresh ? " new" : ""}`, "data-testid": "feed-item", "data-id": e.id,
      "data-usd": String(e.usd), "data-side": e.side, "data-coin": e.coin, "data-venue": e.venue,
      title: `${e.symbol} · ${e.side} position liquidated · ${fmtUsd(e.usd)} · ${qty || "size unknown"} · ${venueName(e.venue)} · ${fmtStamp(e.ts)}` +
        (e.coverage === "sampled" ? " (sampled feed)" : ""),
    }, [
      el("span", { class: "t", text: fmtTime(e.ts) }),
      el("span", { class: "c" }, [
        el("span", { class: "sd", "data-field": "side", text: e.side === "long" ? "LONG" : "SHORT" }),
        el("b", { text: e.coin }), el("span", { class: "v", text: venueName(e.venue) }),
        el("span", { class: "q", "data-field": "qty", text: qty }),
      ]),
      el("span", { class: "u", text: e.usd === null || e.usd === undefined ? "unpriced" : fmtUsd(e.usd) }),
    ]);
    return li;
  }
  const feedMatches = (e) => (e.usd || 0) >= state.feedMin && (state.feedVenue === ALL || e.venue === state.feedVenue) &&
    (state.feedCoin === ALL || e.coin === state.feedCoin);
  function filterWords() {
    const parts = [];
    if (state.feedMin > 0) parts.push("≥ " + fmtUsd(state.feedMin));
    if (state.feedVenue !== ALL) parts.push("on " + venueName(state.feedVenue));
    if (state.feedCoin !== ALL) parts.push(state.feedCoin);
    return parts.join(" · ");
  }
  function renderFeed() {
    const list = $("#feed");
    const rows = [];
    for (const e of state.feed) {
      if (!feedMatches(e)) continue;
      rows.push(feedRow(e, false));
      if (rows.length >= FEED_SHOW) break;
    }
    list.replaceChildren(...rows);
    updateFeedEmpty();
  }
  function updateFeedEmpty() {
    const box = $("#feed-empty");
    box.hidden = $("#feed").children.length > 0;
    const what = filterWords();
    box.textContent = state.feedLoading ? "loading…"
      : what ? `no stored liquidation matches ${what}; new ones appear here as they arrive`
        : "no liquidations stored yet; new ones appear here as they arrive";
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
    for (const e of fresh) {
      state.feed.push(e);
      if (live) state.liveTimes.push(Date.now());
      noteChoice(e);
    }
    state.feed.sort((a, b) => byTsId(b, a));
    // keep the newest events, and every event the current filter shows (a backfill for a rare
    // filter must not be pushed out by a flood of small ones)
    if (state.feed.length > FEED_KEEP) {
      const keep = [];
      let matched = 0, others = 0;
      for (const e of state.feed) {
        if (feedMatches(e) ? matched++ < FEED_KEEP : others++ < FEED_KEEP / 2) keep.push(e);
        else state.feedIds.delete(e.id);
      }
      state.feed = keep;
    }
    if (!live) { renderFeed(); return; }
    const list = $("#feed");
    const shown = fresh.filter(feedMatches);
    const calm = shown.length <= 4;
    for (const e of shown) {
      list.prepend(feedRow(e, calm || tierOf(e.usd) >= 3));
      beep(e);
    }
    while (list.children.length > FEED_SHOW) list.lastElementChild.remove();
    updateFeedEmpty();
    chartAddEvents(fresh);
  }
  /** The newest stored events matching the feed's filters (the API filters; nothing is missed). */
  const loadFeed = () => guarded("feed", async () => {
    const q = ["order=desc", "limit=100"];
    if (state.feedMin > 0) q.push("min_usd=" + state.feedMin);
    if (state.feedVenue !== ALL) q.push("venue=" + encodeURIComponent(state.feedVenue));
    if (state.feedCoin !== ALL) q.push("coin=" + encodeURIComponent(state.feedCoin));
    state.feedLoading = true;
    try { addEvents((await api("/api/events?" + q.join("&"))).events || [], false); }
    finally { state.feedLoading = false; renderFeed(); }
  });
  /** Venues and coins seen, offered in the feed's filters. */
  function noteChoice(e) {
    addOption($("#feed-venue"), e.venue, venueName(e.venue));
    addOption($("#feed-coin"), e.coin, e.coin);
  }
  function addOption(sel, value, text) {
    if (!sel || !value || [...sel.options].some((o) => o.value === value)) return;
    sel.append(el("option", { value, text }));
  }
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

  // ---------- charts: long/short bars (+ price) ----------
  const priceCoin = () => (state.coin === ALL ? "BTC" : state.coin);
  const coinWords = () => (state.coin === ALL ? "all coins" : state.coin);
  /** uPlot's clock in the zone the page shows, so ticks fall on whole UTC (or local) hours and days. */
  const tzDate = (ts) => (state.utc && uPlot.tzDate ? uPlot.tzDate(new Date(ts * 1e3), "Etc/UTC") : new Date(ts * 1e3));
  /** 24-hour time ticks, the date at the first tick and where the day changes ("Dec 5" style, no US dates). */
  function timeTicks(u, splits, daily) {
    let lastDay = null;
    return splits.map((t) => {
      const f = fields(t * 1000), day = f.y * 400 + f.mo * 32 + f.d;
      const label = daily || day !== lastDay ? MONTHS[f.mo] + " " + f.d : pad(f.h) + ":" + pad(f.mi);
      const both = !daily && day !== lastDay && (f.h || f.mi) ? "\n" + pad(f.h) + ":" + pad(f.mi) : "";
      lastDay = day;
      return label + both;
    });
  }
  /** Each side's own scale: longs fill the bottom, shorts the top, neither forced to mirror the other. */
  function sideRange(u) {
    let hi = 0, lo = 0;
    for (const v of u.data[1]) if (v > hi) hi = v;
    for (const v of u.data[2]) if (v < lo) lo = v;
    if (!hi && !lo) return [-1, 1]; // empty: a flat zero line (the axis shows "$0" only)
    const room = Math.max(hi, -lo) * 0.12; // the quieter side keeps a sliver, so zero never sits on the edge
    return [Math.min(lo, -room) * 1.06, Math.max(hi, room) * 1.06];
  }
  function usdTicks(u, vals) {
    const empty = !u.data[1].some((v) => v) && !u.data[2].some((v) => v);
    return vals.map((v) => (empty && v !== 0 ? "" : fmtUsd(Math.abs(v))));
  }
  /** Width of an axis: its widest label, measured, so labels are never clipped. */
  function axisSize(u, values, axisIdx, cycle) {
    if (cycle > 1 || !values) return u.axes[axisIdx]._size || 50;
    const ctx = u.ctx; ctx.save(); ctx.font = "11px system-ui";
    let w = 0;
    for (const v of values) for (const line of String(v).split("\n")) w = Math.max(w, ctx.measureText(line).width);
    ctx.restore();
    return Math.ceil(w / devicePixelRatio * devicePixelRatio) + 18;
  }
  function tooltipPlugin(describe) {
    let tip;
    return {
      hooks: {
        init: (u) => { tip = el("div", { class: "u-tip", hidden: true }); u.over.append(tip); },
        setCursor: (u) => {
          const i = u.cursor.idx;
          if (i === null || i === undefined || u.cursor.left < 0) { tip.hidden = true; return; }
          tip.replaceChildren(...describe(u, i));
          tip.hidden = false;
          const w = u.over.clientWidth, left = u.cursor.left;
          tip.style.left = (left > w - 180 ? left - 170 : left + 12) + "px";
          tip.style.top = "8px";
        },
      },
    };
  }
  function barChart(box, height, withPrice, daily, describe) {
    const axis = { stroke: "#7d8799", grid: { stroke: "rgba(35,43,59,0.7)", width: 1 }, ticks: { stroke: "#232b3b", width: 1 }, font: "11px system-ui" };
    const bars = uPlot.paths && uPlot.paths.bars ? uPlot.paths.bars({ size: [0.8, daily ? 18 : 14], gap: 1 }) : undefined;
    const series = [
      {},
      { label: "shorts", scale: "usd", fill: "rgba(31,207,132,0.85)", stroke: "#1fcf84", width: 0, paths: bars, points: { show: false } },
      { label: "longs", scale: "usd", fill: "rgba(255,77,94,0.85)", stroke: "#ff4d5e", width: 0, paths: bars, points: { show: false } },
    ];
    const axes = [
      Object.assign({}, axis, { space: daily ? 56 : 64, values: (u, splits) => timeTicks(u, splits, daily) }),
      Object.assign({}, axis, { scale: "usd", size: axisSize, values: usdTicks }),
    ];
    if (withPrice) {
      series.push({ label: "price", scale: "p", stroke: "#f5c451", width: 1.5, spanGaps: true, points: { show: false } });
      axes.push(Object.assign({}, axis, { scale: "p", side: 1, size: axisSize, grid: { show: false }, stroke: "#c9a646", values: (u, vals) => vals.map((v) => fmtPrice(v)) }));
    }
    const opts = {
      width: Math.max(200, box.clientWidth - 8), height,
      padding: [8, withPrice ? 4 : 12, 0, 4],
      legend: { show: false }, tzDate,
      cursor: { points: { show: false }, drag: { x: false, y: false } },
      scales: { x: { time: true }, usd: { range: sideRange }, p: { auto: true } },
      axes, series,
      plugins: [tooltipPlugin(describe)],
    };
    const made = new uPlot(opts, series.map(() => []), box);
    new ResizeObserver(() => made.setSize({ width: Math.max(200, box.clientWidth - 8), height })).observe(box);
    return made;
  }

  let plot = null;
  const chart = { xs: [], shorts: [], longs: [], price: [], index: new Map() };
  function chartHeight() { return window.innerWidth < 760 ? 240 : 330; }
  function makePlot() {
    plot = barChart($("#chart"), chartHeight(), true, false, (u, i) => {
      const x = u.data[0][i], s = u.data[1][i] || 0, l = -(u.data[2][i] || 0), p = u.data[3][i];
      return [
        el("div", { text: fmtTime((x - 300) * 1000, false) + "–" + fmtTime(x * 1000, false) + " " + tzName() }),
        el("div", { class: "s", text: "shorts " + fmtUsd(s) }),
        el("div", { class: "l", text: "longs  " + fmtUsd(l) }),
        el("div", { class: "p", text: priceCoin() + " " + (p === null || p === undefined ? "—" : fmtPrice(p)) }),
      ];
    });
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
      const empty = !chart.shorts.some((v) => v) && !chart.longs.some((v) => v);
      $("#chart-empty").hidden = !empty;
      $("#chart-empty").textContent = `no liquidations of ${coinWords()} in the last ${state.range}`;
    });
  }
  function bucketEnd(ts) { return Math.ceil(ts / MIN5) * MIN5; }
  function chartAddEvents(events) {
    if (!chart.xs.length) return;
    for (const e of events) {
      if (!e.usd || (state.coin !== ALL && e.coin !== state.coin)) continue;
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
  const coinParam = () => (state.coin === ALL ? "" : "&coin=" + encodeURIComponent(state.coin));
  async function loadChart() {
    const { start, end } = chartFrame();
    const span = `since=${start}&until=${end}`;
    const [hist, prices] = await Promise.allSettled([
      api(`/api/history?interval=5m&${span}${coinParam()}`),
      api(`/api/prices?coin=${encodeURIComponent(priceCoin())}&interval=5m&${span}`),
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
    $("#price-note").textContent = prices.status === "fulfilled" ? `no price data for ${priceCoin()}` : "price unavailable";
    $("#price-label").textContent = priceCoin() + " price";
    $("#chart-scope").textContent = "· " + coinWords();
    $("#chart").dataset.points = String(chart.xs.length);
    $("#chart").dataset.priced = String(priced);
    $("#chart").dataset.coin = state.coin;
    $("#chart").dataset.start = String(start);
    $("#chart").dataset.usd = String(chart.shorts.reduce((a, v) => a + (v || 0), 0) - chart.longs.reduce((a, v) => a + (v || 0), 0));
    redraw();
    if (errors.length) throw new Error(errors.map((e) => e.message || e).join("; "));
  }
  const refreshChart = () => guarded("history", loadChart);

  // ---------- daily history (CoinGlass's main chart): liquidations per UTC day ----------
  let daily = null;
  function makeDaily() {
    daily = barChart($("#daily-chart"), window.innerWidth < 760 ? 200 : 240, false, true, (u, i) => {
      const x = u.data[0][i], s = u.data[1][i], l = u.data[2][i];
      if (s === null && l === null) return [el("div", { text: fmtDate(x * 1000) }), el("div", { class: "muted", text: "not covered" })];
      return [
        el("div", { text: fmtDate(x * 1000) + " (UTC day)" }),
        el("div", { class: "s", text: "shorts " + fmtUsd(s || 0) }),
        el("div", { class: "l", text: "longs  " + fmtUsd(-(l || 0)) }),
      ];
    });
  }
  async function loadDaily() {
    if (!daily) return;
    const end = Math.floor(serverNow() / DAY_MS) * DAY_MS + DAY_MS; // the end of today (UTC)
    const start = end - state.daysRange * DAY_MS;
    const [doc, imported] = await Promise.all([
      api(`/api/history?interval=1d&since=${start}&until=${end}${coinParam()}`),
      // imported aggregate history (Coinalyze, CoinGlass) is per coin and kept apart from liqwatch's
      // own events: it fills only the days they do not cover, and the line below names both bases
      api(state.coin === ALL ? "/api/history/imported" : `/api/history/imported?since=${start}&until=${end}${coinParam()}`),
    ]);
    const xs = [], shorts = [], longs = [];
    const byDay = new Map((doc.points || []).map((p) => [p.ts, p]));
    const importedDay = new Map((imported.points || []).map((p) => [p.ts, p]));
    let first = null, covered = 0, filled = 0;
    for (let t = start; t < end; t += DAY_MS) {
      // a point is stamped with its bucket's end; a day without one stored liquidation is blank:
      // the store cannot tell a quiet day from a day nothing was collected, so it never draws a zero
      const p = byDay.get(t + DAY_MS) || byDay.get(t);
      const seen = p && (p.long_count || 0) + (p.short_count || 0) > 0;
      const other = seen ? null : importedDay.get(t);
      xs.push(t / 1000);
      shorts.push(seen ? p.short_usd || 0 : other ? other.short_usd : null);
      longs.push(seen ? -(p.long_usd || 0) : other ? -other.long_usd : null);
      if (seen) { covered++; if (first === null) first = t; }
      if (other) filled++;
    }
    daily.setData([xs, shorts, longs]);
    const basis = doc.basis || "liqwatch's own events";
    const parts = [];
    if (covered) parts.push(`${basis} · ${covered} of ${state.daysRange} days hold stored liquidations, the first ${fmtDate(first)}`);
    if (filled) parts.push(`${filled} days liqwatch did not record, from imported history (${imported.basis}, ${state.coin})`);
    for (const c of imported.coins || []) addOption($("#coin"), c, c); // the hint's coins can be picked
    const hint = state.coin === ALL && (imported.coins || []).length
      ? ` · imported daily history of ${(imported.coins || []).join(", ")}: pick the coin to see it` : "";
    $("#daily-basis").textContent = parts.length
      ? `${parts.join(" · ")} · days without any are blank, not zero${hint}`
      : `no stored liquidations in the last ${state.daysRange} days (${basis})${hint}`;
    $("#daily-chart").dataset.imported = String(filled);
    $("#daily-chart").dataset.days = String(xs.length);
    $("#daily-chart").dataset.covered = String(covered);
    $("#daily-scope").textContent = "· " + coinWords();
  }
  const refreshDaily = () => guarded("daily", loadDaily);

  // ---------- tables ----------
  /** Long share of a long/short pair in whole percent, or null when nothing is priced. */
  function longShare(l, s) {
    const t = (l || 0) + (s || 0);
    return t > 0 ? Math.round((100 * (l || 0)) / t) : null;
  }
  /** Fill a long/short bar; with nothing priced it stays an empty grey track, never a 50/50 split. */
  function setSplit(bar, l, s) {
    const lp = longShare(l, s);
    bar.classList.toggle("none", lp === null);
    bar.children[0].style.width = (lp === null ? 0 : lp) + "%";
    bar.children[1].style.width = (lp === null ? 0 : 100 - lp) + "%";
    bar.title = lp === null ? "nothing priced" : `longs ${lp}% · shorts ${100 - lp}%`;
    return bar;
  }
  function splitBar(l, s) {
    return setSplit(el("div", { class: "split" }, [el("span", { class: "l" }), el("span", { class: "s" })]), l, s);
  }
  /** "62% / 38%" long/short cell (data-value: the long share). */
  function shareCell(l, s) {
    const lp = longShare(l, s);
    return el("td", { class: "num share", "data-field": "long_pct", "data-value": lp === null ? "" : String(lp) },
      lp === null ? ["—"] : [el("span", { class: "l", text: String(lp) }), el("span", { class: "muted", text: "/" }), el("span", { class: "s", text: 100 - lp + "%" })]);
  }
  /** Total, long and short USD cells; a row whose events are all unpriced says so instead of $0. */
  function usdCells(r) {
    if (!r.total_usd && r.unpriced_count) {
      const text = `unpriced (${fmtInt(r.unpriced_count)} ${r.unpriced_count === 1 ? "order" : "orders"})`;
      return [el("td", { class: "num muted unpriced", colspan: 3, "data-field": "total_usd", "data-value": "", text, title: "no contract size known: counted, not summed" })];
    }
    const note = r.unpriced_count ? ` (+${fmtInt(r.unpriced_count)} unpriced)` : "";
    return [
      el("td", { class: "num", "data-field": "total_usd", "data-value": String(r.total_usd), text: fmtUsd(r.total_usd), title: note ? "priced orders only" + note : null }),
      numEl("td", "long_usd", r.long_usd, fmtUsd(r.long_usd), "num l"),
      numEl("td", "short_usd", r.short_usd, fmtUsd(r.short_usd), "num s"),
    ];
  }
  function emptyRow(cols, text) { return el("tr", {}, [el("td", { colspan: cols, class: "empty", text })]); }
  async function loadCoins() {
    const doc = await api(`/api/coins?window=${state.tableWindow}&limit=30`);
    const rows = (doc.coins || []).map((c) => el("tr", { "data-coin": c.coin }, [
      el("td", { class: "coin", text: c.coin }),
      ...usdCells(c),
      el("td", { class: "split-cell hide-phone" }, [splitBar(c.long_usd, c.short_usd)]),
      shareCell(c.long_usd, c.short_usd),
      numEl("td", "count", c.count, fmtInt(c.count), "num"),
    ]));
    $("#coins-table tbody").replaceChildren(...(rows.length ? rows : [emptyRow(7, "no liquidation recorded in this window")]));
    updateCoinChoices((doc.coins || []).map((c) => c.coin));
  }
  async function loadExchanges() {
    const doc = await api(`/api/exchanges?window=${state.tableWindow}`);
    const rows = (doc.exchanges || []).map((x) => el("tr", { "data-venue": x.venue }, [
      el("td", { class: "venue" }, [venueName(x.venue), x.coverage === "sampled" ? el("span", { class: "badge sampled", text: "S", title: "sampled: at most one liquidation per symbol per second is published, so this is a lower bound" }) : null]),
      ...usdCells(x),
      shareCell(x.long_usd, x.short_usd),
      numEl("td", "count", x.count, fmtInt(x.count), "num"),
    ]));
    $("#exchanges-table tbody").replaceChildren(...(rows.length ? rows : [emptyRow(6, "no liquidation recorded in this window")]));
  }
  async function loadLargest() {
    const since = serverNow() - WINDOW_MS[state.tableWindow];
    const doc = await api(`/api/largest?n=10&since=${Math.floor(since)}`);
    const rows = (doc.events || []).map((e) => el("tr", { "data-id": e.id, title: `${e.symbol} ${fmtQty(e.qty)} @ ${fmtPrice(e.price)} · ${fmtStamp(e.ts)}` }, [
      el("td", { class: "mono", text: fmtTime(e.ts, false) }),
      el("td", { class: "coin", text: e.coin }),
      el("td", {}, [el("span", { class: "side " + e.side, text: e.side })]),
      numEl("td", "usd", e.usd, fmtUsd(e.usd), "num " + (e.side === "long" ? "l" : "s")),
      el("td", { text: venueName(e.venue) }),
    ]));
    $("#largest-table tbody").replaceChildren(...(rows.length ? rows : [emptyRow(5, "no liquidation recorded in this window")]));
  }
  function renderVenues(venues) {
    state.venuesLive = (venues || []).filter((v) => v.state === "connected").length;
    if (state.wsLive) setConn("up", "live");
    const rows = (venues || []).map((v) => {
      const gap = v.open_gap_since ? el("span", { class: "badge gap", "data-field": "open_gap_since", "data-value": String(v.open_gap_since), title: "no data since " + fmtStamp(v.open_gap_since), text: "gap " + fmtAge(v.open_gap_since).replace(" ago", "") }) : null;
      return el("tr", { "data-venue": v.venue, "data-state": v.state }, [
        el("td", { text: venueName(v.venue) }),
        el("td", {}, [el("span", { class: "state " + v.state.replace(" ", "-"), "data-field": "state", "data-value": v.state, title: v.note || `${v.reconnects ?? 0} reconnects · ${v.gaps ?? 0} gaps · ${v.dead_letters ?? 0} dead letters` }, [el("i"), v.state === "closed" && v.note ? v.note : v.state]), " ", gap]),
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
    for (const c of top.slice(0, 12)) { addOption(sel, c, c); addOption($("#feed-coin"), c, c); }
    addOption(sel, state.coin, state.coin);
    sel.value = state.coin;
  }

  // ---------- live stream ----------
  let ws = null, backoff = 500, lastMsg = 0, retryTimer = null;
  /** The status dot: green "live" only while the stream is up AND a venue is connected. */
  function setConn(stream, label) {
    const c = $("#conn");
    c.dataset.stream = stream;
    state.wsLive = stream === "up";
    if (stream !== "up") { c.dataset.state = stream; c.querySelector(".conn-label").textContent = label; c.title = "live stream: " + label; return; }
    const live = state.venuesLive;
    if (live === null || live > 0) {
      c.dataset.state = "live";
      c.querySelector(".conn-label").textContent = "live";
      c.title = live === null ? "live stream connected" : `live stream connected · ${live} venue${live === 1 ? "" : "s"} connected`;
    } else {
      c.dataset.state = "idle";
      c.querySelector(".conn-label").textContent = "no venue connected";
      c.title = "the page is connected, but no venue is being collected right now: totals only change when a collector stores new events";
    }
  }
  function connect() {
    clearTimeout(retryTimer);
    setConn("connecting", "connecting");
    const url = withToken((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/api/stream");
    try { ws = new WebSocket(url); } catch (e) { scheduleReconnect(); return; }
    ws.onopen = () => { backoff = 500; lastMsg = Date.now(); setConn("up", "live"); };
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
      state.coin = coin.value; store.set("coin", state.coin); refreshChart(); refreshDaily();
      document.dispatchEvent(new CustomEvent("liqwatch:coin", { detail: priceCoin() }));
    });
    const min = $("#feed-min");
    min.value = String(state.feedMin);
    if (min.value !== String(state.feedMin)) { state.feedMin = 10000; min.value = "10000"; }
    const venue = $("#feed-venue"), feedCoin = $("#feed-coin");
    for (const v of Object.keys(VENUE_NAMES)) addOption(venue, v, venueName(v));
    addOption(venue, state.feedVenue, venueName(state.feedVenue));
    addOption(feedCoin, state.feedCoin, state.feedCoin);
    venue.value = state.feedVenue; feedCoin.value = state.feedCoin;
    const refilter = () => {
      state.feedMin = Number(min.value); state.feedVenue = venue.value; state.feedCoin = feedCoin.value;
      store.set("feedMin", state.feedMin); store.set("feedVenue", state.feedVenue); store.set("feedCoin", state.feedCoin);
      renderFeed(); // what is already here at once, then the stored events that match
      loadFeed();
    };
    for (const sel of [min, venue, feedCoin]) sel.addEventListener("change", refilter);
    document.querySelectorAll("#days button").forEach((b) => {
      b.classList.toggle("on", Number(b.dataset.days) === state.daysRange);
      b.addEventListener("click", () => {
        state.daysRange = Number(b.dataset.days); store.set("daysRange", state.daysRange);
        document.querySelectorAll("#days button").forEach((x) => x.classList.toggle("on", x === b));
        refreshDaily();
      });
    });
    const tz = $("#tz");
    const showTz = () => { tz.textContent = state.utc ? "UTC" : "Local " + tzName(); tz.setAttribute("aria-pressed", String(!state.utc)); };
    showTz();
    tz.addEventListener("click", () => {
      state.utc = !state.utc; store.set("utc", state.utc); showTz();
      if (state.summary) renderSummary(state.summary);
      renderFeed(); refreshChart(); refreshDaily(); loadTables();
      document.dispatchEvent(new CustomEvent("liqwatch:tz"));
    });
    setupSound();
  }

  async function start() {
    buildCards();
    setupControls();
    try { makePlot(); } catch (e) { panelError("history", e); }
    try { makeDaily(); } catch (e) { panelError("daily", e); }
    await loadSummary(); // sets the server clock offset first
    connect();
    await Promise.all([loadFeed(), refreshChart(), refreshDaily(), loadTables(), guarded("venues", loadVenues)]);
    document.body.dataset.ready = "1";
    setInterval(loadTables, 10000);
    setInterval(refreshChart, 60000);
    setInterval(refreshDaily, 300000);
    setInterval(watchdog, 4000);
    setInterval(updateRate, 2000);
  }
  // shared with the levels and wallets panels (levels.js, wallets.js)
  window.liqwatch = { fmtUsd, fmtInt, fmtPrice, fmtQty, fmtTime, fmtDate, fmtStamp, fmtMinute, fields, tzName, fmtAge, tierOf, state, el, numEl, api, guarded, serverNow, clockReady, priceCoin };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
