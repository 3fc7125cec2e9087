/* The big screen: polls its JSON every few seconds and redraws figures, charts and lists. */
(function () {
  "use strict";
  var POLL_MS = 5000;

  function set(id, v) { var el = document.getElementById(id); if (el && v !== undefined && v !== null) el.textContent = v; }

  function rows(tableId, items, cells, empty) {
    var body = document.querySelector("#" + tableId + " tbody");
    if (!body) return;
    body.innerHTML = "";
    if (!items.length && empty) items = [null];
    items.forEach(function (item) {
      var tr = document.createElement("tr");
      (item ? cells(item) : [empty]).forEach(function (v) {
        var td = document.createElement("td"); td.textContent = v; tr.appendChild(td);
      });
      body.appendChild(tr);
    });
  }

  function render(d) {
    set("s-date", d.today.date); set("s-time", d.today.time);
    ["meals", "elder_meals", "elders", "benefit"].forEach(function (k) { set("k-" + k, d.today[k]); });
    set("k-month-meals", d.month.meals); set("k-month-benefit", d.month.benefit);
    var draw = window.zhucanCharts && window.zhucanCharts.draw;
    if (draw) {
      draw(document.getElementById("c-periods"), d.today.chart, true);
      draw(document.getElementById("c-regions"), { kind: "bar", categories: d.regions.map(function (r) { return r.name; }),
        series: [{ name: "就餐份数", data: d.regions.map(function (r) { return r.meals; }) }] }, true);
      draw(document.getElementById("c-canteens"), { kind: "bar", horizontal: true,
        categories: d.canteens.map(function (c) { return c.name; }),
        series: [{ name: "就餐份数", data: d.canteens.map(function (c) { return c.meals; }) }] }, true);
    }
    rows("t-regions", d.regions, function (r) { return [r.name, r.meals, r.elder_meals, r.benefit]; });
    rows("t-feed", d.feed, function (m) { return [m.time, m.canteen, m.elder, m.gross + (m.kind === "消费" ? "" : " " + m.kind)]; });
    rows("t-funders", d.today.funders, function (f) { return [f.name, f.yuan]; });
    rows("t-alerts", d.alerts, function (a) { return [a.at, a.title, a.place, a.status]; }, "暂无待处理预警");
  }

  function poll() {
    fetch(document.body.getAttribute("data-url"), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (d) { if (d) render(d); })
      .catch(function () { /* keep the last figures; try again on the next tick */ });
  }

  document.addEventListener("DOMContentLoaded", function () {
    render(JSON.parse(document.getElementById("screen-data").textContent));
    setInterval(poll, POLL_MS);
    window.addEventListener("resize", function () {
      document.querySelectorAll(".chart").forEach(function (el) {
        var c = window.echarts && window.echarts.getInstanceByDom(el); if (c) c.resize();
      });
    });
  });
})();
