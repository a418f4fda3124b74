// Charts of the statistics page (Chart.js, served from our own static files).
// The numbers come from the JSON block #chart-data ({{ data|json_script }}): no inline script,
// so the page keeps its strict Content-Security-Policy.
(function () {
  "use strict";
  var source = document.getElementById("chart-data");
  if (!source || typeof window.Chart === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  var text = data.text;
  var RED = "#b3161b";
  var RED_LIGHT = "rgba(179, 22, 27, 0.75)";
  var GOLD = "#d39e00";
  var GREY = "rgba(108, 117, 125, 0.45)";
  var narrow = window.matchMedia("(max-width: 576px)").matches;

  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.color = "#495057";

  function numberFormat(value) {
    return value === null || value === undefined ? "—" : new Intl.NumberFormat(data.locale).format(value);
  }

  // A chart's box gets its height from the number of bars (CSSOM, allowed by the CSP).
  function box(id, height) {
    var canvas = document.getElementById(id);
    if (!canvas) {
      return null;
    }
    canvas.parentElement.style.position = "relative";
    canvas.parentElement.style.height = height + "px";
    return canvas;
  }

  function childrenChart() {
    var labels = data.children.labels;
    if (!labels.length) {
      return;
    }
    // Horizontal bars: long organisation names stay readable, and many children just add height.
    var canvas = box("chart-children", Math.max(180, labels.length * (narrow ? 40 : 34) + 70));
    if (!canvas) {
      return;
    }
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: labels,
        datasets: [
          { label: text.plan, data: data.children.plan, backgroundColor: GREY, borderColor: "#6c757d", borderWidth: 1 },
          { label: text.admitted, data: data.children.admitted, backgroundColor: RED_LIGHT, borderColor: RED, borderWidth: 1 }
        ]
      },
      options: {
        indexAxis: "y",
        maintainAspectRatio: false,
        locale: data.locale,
        plugins: { legend: { position: "bottom" } },
        scales: {
          x: { beginAtZero: true, ticks: { precision: 0 } },
          y: {
            ticks: {
              autoSkip: false,
              callback: function (value) {
                var label = this.getLabelForValue(value);
                var limit = narrow ? 18 : 34;
                return label.length > limit ? label.slice(0, limit - 1) + "…" : label;
              }
            }
          }
        }
      }
    });
  }

  function funnelChart() {
    var canvas = box("chart-funnel", narrow ? 230 : 260);
    if (!canvas) {
      return;
    }
    var counts = data.funnel.counts;
    var first = counts[0] || 0;
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: data.funnel.labels,
        datasets: [
          {
            label: text.people,
            data: counts,
            backgroundColor: ["#f1aeb5", "#e35d6a", "#c82333", RED],
            borderWidth: 0
          }
        ]
      },
      options: {
        indexAxis: "y",
        maintainAspectRatio: false,
        locale: data.locale,
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              label: function (item) {
                var share = first ? " (" + new Intl.NumberFormat(data.locale, { style: "percent", maximumFractionDigits: 1 }).format(item.raw / first) + ")" : "";
                return numberFormat(item.raw) + share;
              }
            }
          }
        },
        scales: {
          x: { beginAtZero: true, ticks: { precision: 0 } },
          y: {
            ticks: {
              callback: function (value) {
                var label = this.getLabelForValue(value);
                var limit = narrow ? 20 : 32;
                return label.length > limit ? label.slice(0, limit - 1) + "…" : label;
              }
            }
          }
        }
      }
    });
  }

  function trendChart() {
    var canvas = box("chart-trend", narrow ? 260 : 300);
    if (!canvas) {
      return;
    }
    new Chart(canvas, {
      data: {
        labels: data.trend.labels,
        datasets: [
          { type: "bar", label: text.admitted, data: data.trend.admitted, backgroundColor: RED_LIGHT, yAxisID: "y", order: 2 },
          { type: "line", label: text.plan, data: data.trend.plan, borderColor: "#6c757d", backgroundColor: "#6c757d", borderDash: [6, 4], spanGaps: true, yAxisID: "y", order: 1 },
          { type: "line", label: text.percent, data: data.trend.percent, borderColor: GOLD, backgroundColor: GOLD, yAxisID: "percent", order: 0 }
        ]
      },
      options: {
        maintainAspectRatio: false,
        locale: data.locale,
        interaction: { mode: "index", intersect: false },
        plugins: {
          legend: { position: "bottom" },
          tooltip: {
            callbacks: {
              label: function (item) {
                var value = item.dataset.yAxisID === "percent"
                  ? (item.raw === null ? "—" : new Intl.NumberFormat(data.locale, { maximumFractionDigits: 2 }).format(item.raw) + " %")
                  : numberFormat(item.raw);
                return item.dataset.label + ": " + value;
              }
            }
          }
        },
        scales: {
          y: { beginAtZero: true, ticks: { precision: 0 }, position: "left" },
          percent: {
            beginAtZero: true,
            suggestedMax: 5,
            position: "right",
            grid: { drawOnChartArea: false },
            title: { display: !narrow, text: text.target },
            ticks: { callback: function (value) { return value + " %"; } }
          }
        }
      }
    });
  }

  childrenChart();
  funnelChart();
  trendChart();
})();
