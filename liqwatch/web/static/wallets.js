/* liqwatch dashboard: the "Smart-money wallets" panel. Plain JS on top of app.js (window.liqwatch).
 * Reads /api/wallets/pnl?by=group (long/short totals and per group: BTC, ETH, altcoins), the worst
 * positions and the watched wallets' own liquidations; shows the set's rule, short hash and poll time. */
"use strict";

(function () {
  const L = window.liqwatch;
  if (!L) return;
  const { el, numEl, api, guarded, fmtUsd, fmtPrice, fmtAge } = L;
  const REFRESH_MS = 45000;
  const $ = (sel) => document.querySelector(sel);
  const fmtStamp = L.fmtMinute;
  const sign = (n) => (n > 0 ? "gain" : n < 0 ? "loss" : "");
  function fmtPnl(n) { return (n > 0 ? "+" : "") + fmtUsd(n); }
  function walletName(label, address) {
    return el("span", { class: "wallet", title: address }, [label || address.slice(0, 6) + "…" + address.slice(-4)]);
  }
  function fmtSize(n) {
    const a = Math.abs(n);
    return a >= 1000 ? Math.round(a).toLocaleString("en-US") : a.toLocaleString("en-US", { maximumSignificantDigits: 5 });
  }

  function renderPnl(doc) {
    const panel = $("#panel-wallets");
    for (const [field, value] of [["long_pnl", doc.long_pnl], ["short_pnl", doc.short_pnl]]) {
      const node = panel.querySelector(`[data-field="${field}"]`);
      node.dataset.value = String(value);
      node.textContent = fmtPnl(value);
      node.className = "pnl " + sign(value);
    }
    const rows = doc.rows || [];
    const notional = (key) => rows.reduce((s, r) => s + r[key], 0);
    const count = (key) => rows.reduce((s, r) => s + r[key], 0);
    panel.querySelector('[data-field="long_usd"]').textContent = `${fmtUsd(notional("long_usd"))} notional · ${count("long_positions")} positions`;
    panel.querySelector('[data-field="short_usd"]').textContent = `${fmtUsd(notional("short_usd"))} notional · ${count("short_positions")} positions`;
    const order = { BTC: 0, ETH: 1, altcoins: 2 };
    const groups = rows.slice().sort((a, b) => (order[a.key] ?? 9) - (order[b.key] ?? 9)).map((r) => el("tr", { "data-group": r.key }, [
      el("td", { class: "coin", text: r.key }),
      numEl("td", "long_pnl", r.long_pnl, fmtPnl(r.long_pnl), "num " + sign(r.long_pnl)),
      numEl("td", "short_pnl", r.short_pnl, fmtPnl(r.short_pnl), "num " + sign(r.short_pnl)),
      el("td", { class: "num hide-phone", text: `${r.long_positions} L · ${r.short_positions} S` }),
    ]));
    $("#wallets-groups tbody").replaceChildren(...groups);
    const set = (doc.sets || [])[doc.sets.length - 1];
    const line = $("#wallets-set");
    line.replaceChildren();
    if (set) {
      line.append("set ", el("code", { "data-field": "set_hash", "data-value": set.hash, title: set.hash, text: set.hash.slice(0, 12) }),
        ` · ${doc.wallets} wallets · rule: `, el("span", { class: "rule", text: set.rule }));
    }
    const polled = $("#wallets-polled");
    polled.dataset.value = doc.polled_at === null ? "" : String(doc.polled_at);
    polled.textContent = doc.polled_at ? `polled ${fmtStamp(doc.polled_at)} (${fmtAge(doc.polled_at)})` : "—";
  }
  /** Why a watched position cannot be as stored (mark already past its liquidation price), or null. */
  function inconsistency(p) {
    if (p.liquidation_px === null || p.liquidation_px === undefined || !p.mark_px) return null;
    if (p.side === "long" && p.mark_px <= p.liquidation_px) return "mark at or below the liquidation price: the snapshot is stale or the position was liquidated";
    if (p.side === "short" && p.mark_px >= p.liquidation_px) return "mark at or above the liquidation price: the snapshot is stale or the position was liquidated";
    return null;
  }
  function renderWorst(positions) {
    const rows = positions.map((p) => el("tr", { "data-wallet": p.wallet, "data-coin": p.coin, "data-inconsistent": inconsistency(p) ? "1" : null }, [
      el("td", {}, [walletName(p.label, p.wallet), inconsistency(p) ? el("span", { class: "badge gap", "data-testid": "wallet-flag", text: "check", title: inconsistency(p) }) : null]),
      el("td", { class: "coin", text: p.coin }),
      el("td", {}, [el("span", { class: "side " + p.side, text: p.side })]),
      numEl("td", "position_value", p.position_value, fmtUsd(p.position_value), "num"),
      el("td", { class: "num hide-phone", text: fmtPrice(p.entry_px) }),
      el("td", { class: "num hide-phone", text: fmtPrice(p.mark_px) }),
      numEl("td", "unrealized_pnl", p.unrealized_pnl, fmtPnl(p.unrealized_pnl), "num " + sign(p.unrealized_pnl)),
      el("td", {
        class: "num", text: p.liquidation_px === null ? "—" : fmtPrice(p.liquidation_px),
        title: p.distance_to_liquidation === null ? "" : `${(p.distance_to_liquidation * 100).toFixed(1)}% away`,
      }),
    ]));
    const empty = el("tr", {}, [el("td", { colspan: 8, class: "empty", text: "no watched position is at a loss" })]);
    $("#wallets-worst tbody").replaceChildren(...(rows.length ? rows : [empty]));
  }
  function renderLiquidations(fills) {
    const rows = fills.slice(0, 8).map((f) => el("tr", { "data-tid": String(f.tid) }, [
      el("td", { class: "mono", text: fmtStamp(f.ts) }),
      el("td", {}, [walletName(f.label, f.wallet)]),
      el("td", { class: "coin", text: f.coin }),
      el("td", {}, [el("span", { class: "side " + f.side, text: f.side })]),
      numEl("td", "usd", f.usd, fmtUsd(f.usd), "num " + (f.side === "long" ? "l" : "s")),
    ]));
    const empty = el("tr", {}, [el("td", { colspan: 5, class: "empty", text: "no watched wallet was liquidated" })]);
    $("#wallets-liqs tbody").replaceChildren(...(rows.length ? rows : [empty]));
  }

  async function load() {
    const [pnl, worst, liqs] = await Promise.allSettled([
      api("/api/wallets/pnl?by=group"), api("/api/wallets/worst?n=8"), api("/api/wallets/liquidations?limit=8"),
    ]);
    const panel = $("#panel-wallets");
    const none = pnl.status === "fulfilled" && !(pnl.value.rows || []).length;
    $("#wallets-empty").hidden = !none;
    if (none) $("#wallets-empty").title = pnl.value.reason || "";
    $("#wallets-body").hidden = none;
    if (pnl.status === "fulfilled" && !none) renderPnl(pnl.value);
    if (worst.status === "fulfilled") renderWorst(worst.value.positions || []);
    if (liqs.status === "fulfilled") renderLiquidations(liqs.value.liquidations || []);
    panel.dataset.loaded = "1";
    const failed = [pnl, worst, liqs].filter((r) => r.status === "rejected").map((r) => r.reason.message || r.reason);
    if (failed.length) throw new Error(failed.join("; "));
  }
  const refresh = () => guarded("wallets", load);

  function start() {
    // the poll's age needs the server's clock (the demo's runs ahead of yours): wait for it, ≤ 3 s
    const clock = Promise.race([L.clockReady || Promise.resolve(), new Promise((r) => setTimeout(r, 3000))]);
    clock.then(() => { refresh(); setInterval(refresh, REFRESH_MS); });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
