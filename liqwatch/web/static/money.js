// Money in the house style for the dashboard: the same rules and rounding as liqwatch/money.py
// (TABLE_RULES there and here are checked equal by tests/web/test_money_js.py, which also prints the
// same figures both ways). Exact: a number is read by its shortest decimal text and rounded half up
// on integers (BigInt), so $226,950,000 is "$227.0M" and $12,250,000 is "$12.3M", never binary-float
// rounding ("$226.9M").
(function (root) {
  "use strict";
  // [floor, unit, suffix, places]: the first rule whose floor the amount reaches once rounded
  const TABLE_RULES = [
    [1000000000, 1000000000, "B", 2],
    [1000000, 1000000, "M", 1],
    [1000, 1000, "K", 1],
    [1, 1, "", 0],
    [0, 1, "", 2],
  ];

  // |n| as its shortest decimal text, split into an integer of digits and a power of ten.
  function decimal(n) {
    const text = String(Math.abs(n));
    const [mantissa, exponent] = text.split("e");
    let e = exponent ? parseInt(exponent, 10) : 0;
    const dot = mantissa.indexOf(".");
    let digits = mantissa;
    if (dot >= 0) {
      e -= mantissa.length - dot - 1;
      digits = mantissa.replace(".", "");
    }
    return [BigInt(digits), e];
  }

  // digits × 10^e ÷ unit, rounded half up to `places` decimals, as an integer count of 10^-places.
  function scaled(digits, e, unit, places) {
    let num = digits;
    let den = BigInt(unit);
    const k = e + places;
    if (k >= 0) num *= 10n ** BigInt(k);
    else den *= 10n ** BigInt(-k);
    const q = num / den;
    return 2n * (num % den) >= den ? q + 1n : q;
  }

  function grouped(q, places) {
    const text = q.toString().padStart(places + 1, "0");
    const whole = places ? text.slice(0, -places) : text;
    const withCommas = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return places ? withCommas + "." + text.slice(-places) : withCommas;
  }

  // "$748.3M", "$1.23B", "$850.4K", "$512"; no value: "—" (never "$0" for a missing amount).
  function table(n) {
    if (n === null || n === undefined || !isFinite(n)) return "—";
    const [digits, e] = decimal(n);
    let i = TABLE_RULES.findIndex((r) => Math.abs(n) >= r[0]);
    if (i < 0) i = TABLE_RULES.length - 1;
    while (i > 0) {
      const [, unit, , places] = TABLE_RULES[i];
      const q = scaled(digits, e, unit, places);
      if (q * BigInt(unit) >= BigInt(TABLE_RULES[i - 1][0]) * 10n ** BigInt(places)) i -= 1;
      else break;
    }
    const [, unit, suffix, places] = TABLE_RULES[i];
    const q = scaled(digits, e, unit, places);
    if (q === 0n) return "$0";
    return (n < 0 ? "-" : "") + "$" + grouped(q, places) + suffix;
  }

  // Prices as liqwatch.money.price: "$3,540" from $1,000, "$150.25" ("$150", not "$150.00") from $1,
  // four significant figures below (at least cents: "$0.20", "$0.5512").
  function price(p) {
    if (p === null || p === undefined || !isFinite(p)) return "—";
    const [digits, e] = decimal(p);
    if (p >= 1000) return "$" + grouped(scaled(digits, e, 1, 0), 0);
    if (p >= 1) {
      const text = grouped(scaled(digits, e, 1, 2), 2);
      return "$" + (text.endsWith(".00") ? text.slice(0, -3) : text);
    }
    if (digits === 0n) return "$0.00";
    const adjusted = digits.toString().length - 1 + e; // the power of ten of the first digit
    const places = 3 - adjusted;
    let text = grouped(scaled(digits, e, 1, places), places).replace(/0+$/, "");
    const decimals = text.split(".")[1] || "";
    if (!text.includes(".")) text += ".";
    if (decimals.length < 2) text += "0".repeat(2 - decimals.length);
    return "$" + text;
  }

  root.LiqMoney = { TABLE_RULES, table, price };
})(window);
