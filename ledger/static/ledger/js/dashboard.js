// Draws the finance dashboard's charts from the JSON the page embeds (no inline script,
// so the Content-Security-Policy needs no exception). Amounts arrive as integers in minor
// units with their currency and exponent; they are drawn in major units and labelled
// with the currency, as a person reads money.
(function () {
  "use strict";
  var source = document.getElementById("finance-charts");
  if (!source || typeof Chart === "undefined") {
    return;
  }
  var charts = JSON.parse(source.textContent);
  var canvases = document.querySelectorAll("canvas[data-chart]");
  // The theme's indigo first, then colours that stay apart for refunds, fees and disputes.
  var palette = ["#4f46e5", "#f59e0b", "#dc2626", "#16a34a", "#64748b"];

  function moneyFormat(chart) {
    var format = new Intl.NumberFormat(document.documentElement.lang || undefined, {
      style: "currency",
      currency: chart.currency,
      minimumFractionDigits: chart.exponent,
      maximumFractionDigits: chart.exponent,
    });
    var scale = Math.pow(10, chart.exponent);
    return {
      major: function (minor) {
        return minor === null ? null : minor / scale;
      },
      label: function (value) {
        return format.format(value);
      },
    };
  }

  charts.forEach(function (chart, index) {
    var canvas = canvases[index];
    if (!canvas) {
      return;
    }
    var money = chart.currency ? moneyFormat(chart) : null;
    var options = {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      interaction: { mode: "index", intersect: false },
      plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } },
      scales: {
        x: { grid: { display: false }, stacked: !!chart.stacked },
        y: { beginAtZero: true, stacked: !!chart.stacked },
      },
    };
    var counts = chart.datasets.every(function (set) {
      return set.data.every(function (value) {
        return value === null || Number.isInteger(value);
      });
    });
    if (!money && counts) {
      options.scales.y.ticks = { precision: 0 }; // no 0.2 of a payout on the axis
    }
    if (money) {
      options.scales.y.ticks = { callback: money.label };
      options.plugins.tooltip = {
        callbacks: {
          label: function (item) {
            return item.dataset.label + ": " + money.label(item.parsed.y);
          },
        },
      };
    }
    new Chart(canvas, {
      type: chart.kind,
      data: {
        labels: chart.labels,
        datasets: chart.datasets.map(function (set, n) {
          var colour = palette[n % palette.length];
          return {
            label: set.label,
            data: money ? set.data.map(money.major) : set.data,
            spanGaps: true,
            backgroundColor: colour,
            borderColor: colour,
            borderRadius: chart.kind === "bar" ? 3 : 0,
          };
        }),
      },
      options: options,
    });
  });
})();
