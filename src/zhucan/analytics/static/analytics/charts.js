/* Draws the dashboard's charts with ECharts from the JSON the server embeds (json_script), and
   refreshes today's figures. No build step: this file is served as it is. */
(function () {
  "use strict";
  var PALETTE = ["#2f6fb1", "#e08a1e", "#3a9a5b", "#b5475f", "#7a5cc2", "#4aa3b5", "#8d99a8"];

  function option(spec, dark) {
    var text = dark ? "#dfe8f5" : "#333";
    var size = dark ? 18 : 12;  // the big screen is read from across a room
    var base = { color: PALETTE, textStyle: { color: text, fontSize: size }, animation: false,
                 tooltip: { trigger: spec.kind === "pie" ? "item" : "axis" },
                 legend: { top: 0, textStyle: { color: text, fontSize: size } } };
    if (spec.kind === "pie") {
      base.series = [{ type: "pie", radius: ["35%", "65%"], top: 24, name: spec.series[0].name,
        label: { color: text, fontSize: size, formatter: "{b}\n{d}%" },
        data: spec.categories.map(function (c, i) { return { name: c, value: Number(spec.series[0].data[i]) }; })
          .filter(function (d) { return d.value > 0; }) }];
      return base;
    }
    var cat = { type: "category", data: spec.categories, axisLabel: { color: text, fontSize: size, hideOverlap: true } };
    var val = { type: "value", axisLabel: { color: text, fontSize: size, formatter: spec.percent ? "{value}%" : "{value}" },
                splitLine: { lineStyle: { color: dark ? "#2a3b55" : "#e5e8ec" } } };
    base.grid = { left: 8, right: 16, top: 36, bottom: 8, containLabel: true };
    base.xAxis = spec.horizontal ? val : cat;
    base.yAxis = spec.horizontal ? Object.assign({}, cat, { inverse: true }) : val;
    base.series = spec.series.map(function (s) {
      return { type: spec.kind === "line" ? "line" : "bar", name: s.name, smooth: false,
               data: s.data.map(function (v) { return v === null ? null : Number(v); }),
               connectNulls: false, barMaxWidth: 28 };
    });
    return base;
  }

  function draw(el, spec, dark) {
    if (!el || !spec || !window.echarts) return null;
    var chart = window.echarts.getInstanceByDom(el) || window.echarts.init(el, null, { renderer: "canvas" });
    chart.setOption(option(spec, dark), true);
    return chart;
  }

  function drawAll() {
    var data = document.getElementById("dash-charts");
    var charts = data ? JSON.parse(data.textContent) : {};
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var key = el.getAttribute("data-chart");
      if (key === "today") {
        var t = document.getElementById("dash-today");
        draw(el, t ? JSON.parse(t.textContent) : null, false);
      } else {
        draw(el, charts[key], false);
      }
    });
    window.addEventListener("resize", function () {
      document.querySelectorAll("[data-chart]").forEach(function (el) {
        var c = window.echarts.getInstanceByDom(el);
        if (c) c.resize();
      });
    });
  }

  function text(el, value) { if (el) el.textContent = value; }

  function refreshToday() {
    var box = document.getElementById("today");
    if (!box) return;
    fetch(box.getAttribute("data-live-url"), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (d) {
        if (!d) return;
        ["time", "meals", "elder_meals", "elders", "benefit"].forEach(function (k) {
          text(box.querySelector('[data-live="' + k + '"]'), d[k]);
        });
        var body = box.querySelector('[data-live="funders"]');
        if (body) {
          body.innerHTML = "";
          d.funders.forEach(function (f) {
            var tr = document.createElement("tr");
            var a = document.createElement("td"); a.textContent = f.name;
            var b = document.createElement("td"); b.className = "num"; b.textContent = f.yuan;
            tr.appendChild(a); tr.appendChild(b); body.appendChild(tr);
          });
        }
        draw(box.querySelector('[data-chart="today"]'), d.chart, false);
      })
      .catch(function () { /* the next tick tries again */ });
  }

  window.zhucanCharts = { draw: draw, option: option };
  document.addEventListener("DOMContentLoaded", function () {
    if (document.getElementById("dash-charts")) {
      drawAll();
      setInterval(refreshToday, 30000);
    }
  });
})();
