/* liqwatch dashboard: the "Liquidation levels" panel. Plain JS on top of app.js (window.liqwatch).
 * Reads /api/levels/map, /api/levels/heatmap and /api/levels/events for the chart's coin and draws:
 * the time × price heatmap (red = long fuel, green = short fuel, brighter = more) with the price over
 * it, and beside it, on the same price scale, the current map as bars with each side's cumulative
 * curve, and the measured layer from watched wallets in its own strip, never mixed into the model. */
"use strict";

(function () {
  const L = window.liqwatch;
  if (!L) return;
  const { el, numEl, api, guarded, fmtUsd, fmtPrice } = L;
  const REFRESH_MS = 45000;
  const LONG = [255, 77, 94], SHORT = [31, 207, 132], BG = [14, 18, 27];
  const PRICE = "#f5c451", MEASURED = "#a78bfa", GRID = "rgba(125,135,153,0.16)", LABEL = "#7d8799";
  const PAD = { top: 8, bottom: 20, left: 58, right: 6 };
  const $ = (sel) => document.querySelector(sel);
  const view = { heat: null, map: null };

  // times in the zone the page shows (UTC unless the reader chose local): app.js's stamps
  const fmtStamp = L.fmtMinute;
  const fmtDay = (ms) => fmtStamp(ms).slice(0, -2) + "00"; // the heatmap's hour columns
  function niceStep(raw) {
    const p = Math.pow(10, Math.floor(Math.log10(raw)));
    for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= raw) return m * p;
    return 10 * p;
  }

  function sizeCanvas(canvas) {
    const box = canvas.parentElement;
    const w = Math.max(80, box.clientWidth), h = Math.max(140, box.clientHeight);
    const dpr = window.devicePixelRatio || 1;
    canvas.width = Math.round(w * dpr); canvas.height = Math.round(h * dpr);
    canvas.style.width = w + "px"; canvas.style.height = h + "px";
    const ctx = canvas.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    return { ctx, w, h };
  }

  /** The price range both canvases share, so a level lines up with its row in the heatmap. */
  function priceRange() {
    const heat = view.heat, map = view.map;
    if (heat && heat.prices.length) return [heat.prices[0], heat.prices[heat.prices.length - 1] + heat.bin_size];
    if (map && map.bins.length) {
      const lo = Math.min(map.price, map.bins[0].price), hi = Math.max(map.price, map.bins[map.bins.length - 1].price + map.bin_size);
      return [lo - map.bin_size, hi + map.bin_size];
    }
    if (map) return [map.price * 0.9, map.price * 1.1];
    return null;
  }
  function yOf(price, range, h) {
    const plot = h - PAD.top - PAD.bottom;
    return PAD.top + plot * (1 - (price - range[0]) / (range[1] - range[0]));
  }
  /** A fuel scale that one huge bin cannot wash out: the 99th percentile of the non-empty cells. */
  function reference(values) {
    const nz = values.filter((v) => v > 0).sort((a, b) => a - b);
    return nz.length ? nz[Math.min(nz.length - 1, Math.floor(nz.length * 0.99))] : 1;
  }
  const GAMMA = 0.7; // < 1 lifts thin levels into view without flattening the big ones
  const shade = (v, ref) => Math.min(1, Math.pow((v || 0) / ref, GAMMA));
  function priceAxis(ctx, range, w, h, left, labels) {
    const step = niceStep((range[1] - range[0]) / Math.max(3, Math.floor((h - PAD.top - PAD.bottom) / 46)));
    ctx.font = "10.5px ui-monospace, Menlo, Consolas, monospace";
    ctx.textBaseline = "middle";
    for (let p = Math.ceil(range[0] / step) * step; p <= range[1]; p += step) {
      const y = Math.round(yOf(p, range, h)) + 0.5;
      ctx.strokeStyle = GRID; ctx.lineWidth = 1;
      ctx.beginPath(); ctx.moveTo(left, y); ctx.lineTo(w - PAD.right, y); ctx.stroke();
      if (labels) { ctx.fillStyle = LABEL; ctx.textAlign = "right"; ctx.fillText(fmtPrice(p), left - 6, y); }
    }
  }
  function priceLine(ctx, price, range, x0, x1, h, label) {
    const y = Math.round(yOf(price, range, h)) + 0.5;
    ctx.save();
    ctx.setLineDash([4, 3]); ctx.strokeStyle = "rgba(245,196,81,0.75)"; ctx.lineWidth = 1;
    ctx.beginPath(); ctx.moveTo(x0, y); ctx.lineTo(x1, y); ctx.stroke();
    ctx.restore();
    if (label) {
      ctx.font = "600 10.5px ui-monospace, Menlo, Consolas, monospace";
      const text = fmtPrice(price), tw = ctx.measureText(text).width + 8;
      ctx.fillStyle = PRICE; ctx.fillRect(x1 - tw, y - 8, tw, 16);
      ctx.fillStyle = "#111"; ctx.textAlign = "right"; ctx.textBaseline = "middle"; ctx.fillText(text, x1 - 4, y);
    }
  }

  function drawHeatmap() {
    const canvas = $("#levels-heatmap");
    const { ctx, w, h } = sizeCanvas(canvas);
    const heat = view.heat, range = priceRange();
    canvas.dataset.columns = heat ? String(heat.times.length) : "0";
    canvas.dataset.rows = heat ? String(heat.prices.length) : "0";
    if (!heat || !range || !heat.times.length) {
      ctx.fillStyle = LABEL; ctx.font = "12px system-ui"; ctx.textAlign = "center";
      ctx.fillText("no heatmap for this coin yet", w / 2, h / 2);
      return;
    }
    const cols = heat.times.length, rows = heat.prices.length;
    const plotW = w - PAD.left - PAD.right, plotH = h - PAD.top - PAD.bottom;
    ctx.fillStyle = `rgb(${BG.join(",")})`; ctx.fillRect(PAD.left, PAD.top, plotW, plotH);
    const refLong = reference(heat.long_usd.flat()), refShort = reference(heat.short_usd.flat());
    const cw = plotW / cols, ch = plotH / rows;
    for (let c = 0; c < cols; c++) {
      const longs = heat.long_usd[c], shorts = heat.short_usd[c];
      for (let r = 0; r < rows; r++) {
        const a = shade(longs[r], refLong), b = shade(shorts[r], refShort);
        if (a < 0.03 && b < 0.03) continue;
        const mix = (i) => Math.round(Math.min(255, BG[i] + a * (LONG[i] - BG[i]) + b * (SHORT[i] - BG[i])));
        ctx.fillStyle = `rgb(${mix(0)},${mix(1)},${mix(2)})`;
        ctx.fillRect(PAD.left + c * cw, PAD.top + (rows - 1 - r) * ch, Math.ceil(cw), Math.ceil(ch));
      }
    }
    priceAxis(ctx, range, w, h, PAD.left, true);
    // the price path over the fuel it consumed
    ctx.strokeStyle = PRICE; ctx.lineWidth = 1.6; ctx.lineJoin = "round";
    ctx.beginPath();
    heat.closes.forEach((p, c) => {
      const x = PAD.left + (c + 0.5) * cw, y = yOf(p, range, h);
      if (c === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
    });
    ctx.stroke();
    // time labels: about one per 110 px
    ctx.fillStyle = LABEL; ctx.font = "10.5px system-ui"; ctx.textBaseline = "alphabetic"; ctx.textAlign = "center";
    const every = Math.max(1, Math.ceil(cols / Math.max(1, Math.floor(plotW / 110))));
    for (let c = cols - 1; c >= 0; c -= every) {
      const text = fmtDay(heat.times[c]), half = ctx.measureText(text).width / 2;
      const x = Math.min(PAD.left + (c + 0.5) * cw, w - PAD.right - half);
      if (x - half < PAD.left) break;
      ctx.fillText(text, x, h - 5);
    }
  }

  function drawMap() {
    const canvas = $("#levels-map");
    const { ctx, w, h } = sizeCanvas(canvas);
    const map = view.map, range = priceRange();
    if (!map || !range) return;
    const strip = Math.max(34, Math.round(w * 0.22)); // the measured layer's own strip, on the right
    const x0 = 4, x1 = w - strip - 10;
    const barW = x1 - x0;
    priceAxis(ctx, range, w, h, x0, false);
    const binH = (b) => Math.max(1.5, yOf(b.price, range, h) - yOf(b.price + map.bin_size, range, h) - 0.6);
    const maxBin = Math.max(1, ...map.bins.map((b) => Math.max(b.long_usd, b.short_usd)));
    for (const b of map.bins) {
      const y = yOf(b.price + map.bin_size, range, h);
      if (b.long_usd > 0) { ctx.fillStyle = "rgba(255,77,94,0.85)"; ctx.fillRect(x0, y, (barW * b.long_usd) / maxBin, binH(b)); }
      if (b.short_usd > 0) { ctx.fillStyle = "rgba(31,207,132,0.85)"; ctx.fillRect(x0, y, (barW * b.short_usd) / maxBin, binH(b)); }
    }
    // cumulative fuel outward from the price: how much is in the way of a move to that level
    const maxCum = Math.max(1, map.longs.total_usd, map.shorts.total_usd);
    for (const [side, color] of [["long", "rgba(255,150,160,0.9)"], ["short", "rgba(120,240,190,0.9)"]]) {
      const bins = map.bins.filter((b) => (side === "long" ? b.long_usd > 0 && b.price < map.price : b.short_usd > 0 && b.price >= map.price - map.bin_size));
      if (!bins.length) continue;
      ctx.strokeStyle = color; ctx.lineWidth = 1.2; ctx.beginPath();
      ctx.moveTo(x0, yOf(map.price, range, h));
      const ordered = side === "long" ? bins.slice().reverse() : bins;
      for (const b of ordered) ctx.lineTo(x0 + (barW * b.cum_usd) / maxCum, yOf(b.price + map.bin_size / 2, range, h));
      ctx.stroke();
    }
    // measured layer (watched wallets), apart
    ctx.fillStyle = "rgba(167,139,250,0.07)"; ctx.fillRect(w - strip - 4, PAD.top, strip, h - PAD.top - PAD.bottom);
    const m = map.measured;
    if (m && m.bins.length) {
      const maxM = Math.max(1, ...m.bins.map((b) => b.long_usd + b.short_usd));
      for (const b of m.bins) {
        if (b.price + map.bin_size < range[0] || b.price > range[1]) continue;
        const len = Math.max(6, ((strip - 6) * (b.long_usd + b.short_usd)) / maxM);
        ctx.fillStyle = MEASURED;
        ctx.fillRect(w - 4 - len, yOf(b.price + map.bin_size, range, h), len, binH(b));
      }
    }
    ctx.fillStyle = LABEL; ctx.font = "10px system-ui"; ctx.textAlign = "right"; ctx.textBaseline = "alphabetic";
    ctx.fillText(w < 200 ? "meas." : "measured", w - 4, h - 5);
    ctx.textAlign = "left"; ctx.fillText(w < 200 ? "model" : "model · cumulative", x0, h - 5);
    priceLine(ctx, map.price, range, 0, w - strip - 6, h, true);
  }

  function redraw() { drawHeatmap(); drawMap(); }

  function peakText(side) {
    return side && side.peak ? `${fmtPrice(side.peak.price)} · ${fmtUsd(side.peak.usd)}` : "—";
  }
  function setField(root, field, value, text) {
    const node = root.querySelector(`[data-field="${field}"]`);
    node.dataset.value = value === null || value === undefined ? "" : String(value);
    node.textContent = text;
  }
  function renderSides(doc) {
    const map = doc.map, panel = $("#panel-levels");
    const pct = map ? Math.round(map.range_pct * 100) : 10;
    setField(panel, "short_total", map ? map.shorts.total_usd : null, map ? `${fmtUsd(map.shorts.total_usd)} within +${pct}%` : "—");
    setField(panel, "long_total", map ? map.longs.total_usd : null, map ? `${fmtUsd(map.longs.total_usd)} within −${pct}%` : "—");
    setField(panel, "short_peak", map && map.shorts.peak ? map.shorts.peak.price : null, peakText(map && map.shorts));
    setField(panel, "long_peak", map && map.longs.peak ? map.longs.peak.price : null, peakText(map && map.longs));
    const m = map && map.measured;
    const text = m && m.positions
      ? `${m.positions} positions · longs ${fmtUsd(m.long_usd)} · shorts ${fmtUsd(m.short_usd)}`
      : doc.measured_reason || "no watched positions in this coin";
    $("#levels-measured-text").textContent = text;
    $("#levels-measured-text").title = doc.measured_label || "";
    $("#levels-version").textContent = doc.model_version || "—";
    $("#levels-version").title = doc.label || "";
    const now = doc.price_now === null || doc.price_now === undefined ? ""
      : ` · price now ${fmtPrice(doc.price_now)} (5-min close ${fmtStamp(doc.price_now_at)})`;
    $("#levels-source").dataset.priceNow = now ? String(doc.price_now) : "";
    $("#levels-source").textContent = map
      ? `model at the ${fmtStamp(map.at)} hourly close ${fmtPrice(map.price)}${now} · bins of ${fmtPrice(map.bin_size)} · ${map.source}` +
        ` · OI ${map.venues.join(", ") || "none"}` + (map.liq_ratio === null ? "" : ` · liq ratio ${map.liq_ratio.toFixed(2)}`)
      : "";
  }
  // The next major same-side level beyond the bar, searched to the map's edge; without one the map
  // holds no live liquidation fuel of that side beyond the bar's extreme: say so, never a bare dash.
  function nextLevelCell(e) {
    if (e.next_level_price !== null && e.next_level_price !== undefined) {
      const fuel = e.fuel_to_next_usd === null ? "" : `${fmtUsd(e.fuel_to_next_usd)} of modelled fuel up to it`;
      return el("td", { class: "num hide-phone", "data-next": String(e.next_level_price), title: fuel, text: fmtPrice(e.next_level_price) });
    }
    const way = e.side === "short" ? "above" : "below";
    const text = e.extreme_price === null || e.extreme_price === undefined
      ? "none in the map" : `none ${way} ${fmtPrice(e.extreme_price)} in the map`;
    const why = `the model holds no ${e.side} positions' liquidation levels ${way} this bar's ${e.side === "short" ? "high" : "low"}`;
    return el("td", { class: "num hide-phone none", "data-next": "", title: why, text });
  }
  function renderEvents(events) {
    const rows = events.slice(-8).reverse().map((e) => el("tr", { "data-ts": String(e.bar_end), "data-side": e.side }, [
      el("td", { class: "mono", text: fmtStamp(e.ts) }),
      el("td", {}, [el("span", { class: "side " + e.side, text: e.side === "short" ? "shorts ↑" : "longs ↓" })]),
      numEl("td", "level_price", e.level_price, fmtPrice(e.level_price), "num"),
      numEl("td", "fuel_cleared_usd", e.fuel_cleared_usd, fmtUsd(e.fuel_cleared_usd), "num " + (e.side === "long" ? "l" : "s")),
      e.realized_usd === null
        ? el("td", { class: "num dim", "data-field": "realized_usd", "data-value": "", text: "not recorded",
            title: "liqwatch's record of liquidations begins after this bar: nothing to count, not $0" })
        : numEl("td", "realized_usd", e.realized_usd, `${fmtUsd(e.realized_usd)} (${e.realized_count})`, "num"),
      nextLevelCell(e),
    ]));
    const empty = el("tr", {}, [el("td", { colspan: 6, class: "empty", text: "no break-through in the last 7 days" })]);
    $("#levels-events tbody").replaceChildren(...(rows.length ? rows : [empty]));
  }

  async function load() {
    const coin = L.priceCoin();
    const q = "coin=" + encodeURIComponent(coin);
    $("#levels-coin").textContent = "· " + coin;
    const [m, h, e] = await Promise.allSettled([
      api("/api/levels/map?" + q), api("/api/levels/heatmap?" + q), api("/api/levels/events?" + q),
    ]);
    const panel = $("#panel-levels");
    panel.dataset.coin = coin;
    view.map = m.status === "fulfilled" ? m.value.map : null;
    view.heat = h.status === "fulfilled" ? h.value.heatmap : null;
    const nothing = m.status === "fulfilled" && h.status === "fulfilled" && !view.map && !view.heat;
    $("#levels-empty").hidden = !nothing;
    $("#levels-empty").textContent = nothing ? `no liquidation levels for ${coin} yet: ${m.value.reason || h.value.reason}` : "";
    $("#levels-body").hidden = nothing;
    if (m.status === "fulfilled") renderSides(m.value);
    if (e.status === "fulfilled") renderEvents(e.value.events || []);
    if (!nothing) redraw();
    panel.dataset.loaded = "1";
    const failed = [m, h, e].filter((r) => r.status === "rejected").map((r) => r.reason.message || r.reason);
    if (failed.length) throw new Error(failed.join("; "));
  }
  const refresh = () => guarded("levels", load);

  function start() {
    refresh();
    setInterval(refresh, REFRESH_MS);
    document.addEventListener("liqwatch:coin", refresh);
    document.addEventListener("liqwatch:tz", refresh);
    let queued = false;
    const again = () => { if (queued) return; queued = true; requestAnimationFrame(() => { queued = false; if (view.map || view.heat) redraw(); }); };
    new ResizeObserver(again).observe($("#levels-heatmap").parentElement);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
