// Draws the finance dashboard's charts from the JSON the page embeds (no inline script,
// so the Content-Security-Policy needs no exception).
(function () {
  "use strict";
  var source = document.getElementById("finance-charts");
  if (!source || typeof Chart === "undefined") {
    return;
  }
  var charts = JSON.parse(source.textContent);
  var canvases = document.querySelectorAll("canvas[data-chart]");
  charts.forEach(function (chart, index) {
    var canvas = canvases[index];
    if (!canvas) {
      return;
    }
    new Chart(canvas, {
      type: chart.kind,
      data: {
        labels: chart.labels,
        datasets: chart.datasets.map(function (set) {
          return { label: set.label, data: set.data, spanGaps: true };
        }),
      },
      options: { animation: false, responsive: true, scales: { y: { beginAtZero: true } } },
    });
  });
})();
