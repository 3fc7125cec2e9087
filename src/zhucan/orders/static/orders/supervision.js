// Orders and deliveries per day (vendored ECharts, no CDN).
document.addEventListener("DOMContentLoaded", function () {
  var box = document.getElementById("orders-chart");
  var raw = document.getElementById("orders-chart-data");
  if (!box || !raw || typeof echarts === "undefined") return;
  var d = JSON.parse(raw.textContent);
  var chart = echarts.init(box);
  chart.setOption({
    tooltip: {trigger: "axis"},
    legend: {data: ["订单", "送餐单", "已送达", "未送达"]},
    xAxis: {type: "category", data: d.days},
    yAxis: {type: "value", minInterval: 1},
    series: [
      {name: "订单", type: "bar", data: d.orders},
      {name: "送餐单", type: "bar", data: d.deliveries},
      {name: "已送达", type: "line", data: d.delivered},
      {name: "未送达", type: "line", data: d.failed}
    ]
  });
  window.addEventListener("resize", function () { chart.resize(); });
});
