import { useEffect, useRef } from "preact/hooks";
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart as ChartJs,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from "chart.js";
import { t, type MessageKey } from "../i18n";
import type { ChartData } from "./series";

// Only the parts the dashboard draws: Chart.js tree-shakes the rest away.
ChartJs.register(BarController, BarElement, LineController, LineElement, PointElement, CategoryScale, LinearScale, Legend, Tooltip);

const COLOURS = ["#1d4ed8", "#15803d", "#b45309", "#7e22ce"];

/** One chart: the canvas for the eye, and the same figures as a table for screen readers (and for tests). */
export function Chart(props: { chart: ChartData; title: MessageKey; labelOf?: (key: string) => string }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const { chart } = props;
  const labels = chart.labels.map((key) => (props.labelOf ? props.labelOf(key) : key));

  useEffect(() => {
    if (!canvas.current) return;
    const right = chart.series.some((series) => series.right);
    const drawn = new ChartJs(canvas.current, {
      type: "bar",
      data: {
        labels,
        datasets: chart.series.map((series, index) => ({
          type: series.kind,
          label: t(series.label as MessageKey),
          data: series.values,
          backgroundColor: COLOURS[index % COLOURS.length],
          borderColor: COLOURS[index % COLOURS.length],
          yAxisID: series.right ? "right" : "y",
          spanGaps: false,
        })),
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        scales: {
          y: { beginAtZero: true, position: "left" },
          ...(right ? { right: { beginAtZero: true, position: "right" as const, grid: { drawOnChartArea: false } } } : {}),
        },
      },
    });
    return () => drawn.destroy();
  }, [chart, props.labelOf]);

  return (
    <figure class="chart" data-testid={`chart-${chart.id}`} data-points={chart.series.reduce((n, s) => n + s.values.filter((v) => v !== null).length, 0)}>
      <figcaption>
        <strong>{t(props.title)}</strong>
      </figcaption>
      <div class="chart-canvas">
        <canvas ref={canvas} role="img" aria-label={t(props.title)} />
      </div>
      <details>
        <summary>{t("kpi.asTable")}</summary>
        <table class="striped">
          <thead>
            <tr>
              <th scope="col">{t("kpi.key")}</th>
              {chart.series.map((series) => (
                <th key={series.label} scope="col">
                  {t(series.label as MessageKey)}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {labels.map((label, row) => (
              <tr key={chart.labels[row]}>
                <th scope="row">{label}</th>
                {chart.series.map((series) => (
                  <td key={series.label}>{series.values[row] ?? "—"}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
