// 伝票入力: show the chosen 節's remaining budget while the clerk types, and group the amount's digits.
(function () {
  "use strict";
  var form = document.getElementById("commitment-form");
  if (!form) { return; }
  var line = form.querySelector("select[name=line]");
  var amount = form.querySelector("input[name=amount]");
  var out = document.getElementById("balance");
  var available = null;
  function yen(n) { return n.toLocaleString("ja-JP") + "円"; }
  function typed() {
    var digits = (amount.value || "").replace(/[,，円¥\s]/g, "").replace(/[０-９]/g, function (c) {
      return String.fromCharCode(c.charCodeAt(0) - 0xFEE0);
    });
    return /^\d+$/.test(digits) ? parseInt(digits, 10) : null;
  }
  function show() {
    if (available === null) { return; }
    var value = typed();
    var text = "予算残額 " + yen(available);
    if (value !== null) {
      text += " / 入力後の残額 " + yen(available - value);
      if (value > available) { text += "(予算残額を超えています)"; }
    }
    out.textContent = text;
  }
  function load() {
    if (!line.value) { return; }
    fetch(out.dataset.url + "?line=" + encodeURIComponent(line.value), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) { available = data.available; show(); } });
  }
  line.addEventListener("change", load);
  amount.addEventListener("input", show);
  amount.addEventListener("blur", function () {
    var value = typed();
    if (value !== null) { amount.value = value.toLocaleString("ja-JP"); }
  });
  load();
})();
