import { useEffect, useMemo, useState } from "preact/hooks";
import { DIMENSIONS, TRENDS, kpiReport, type Dimension, type KpiReport, type Trend } from "../api/kpis";
import { config } from "../config";
import { t, tv, type MessageKey } from "../i18n";
import { duration } from "../lib/format";
import { ErrorMessage } from "../shell/ErrorMessage";
import { Chart } from "./Chart";
import { ConsoleLayout } from "./ConsoleLayout";
import { lastDays, periodProblem, type Period } from "./period";
import {
  asPercent,
  breachesByGroup,
  breakdown,
  complaints,
  firstResponse,
  peaks,
  satisfaction,
  volume,
} from "./series";

interface Reports {
  trend: KpiReport;
  hours: KpiReport;
  weekdays: KpiReport;
  groups: KpiReport;
  agents: KpiReport;
  dimension: KpiReport;
}

async function loadReports(period: Period, trend: Trend, dimension: Dimension): Promise<Reports> {
  const read = (by: Parameters<typeof kpiReport>[2]) => kpiReport(period.from, period.to, by);
  const [trendReport, hours, weekdays, groups, agents, dimensionReport] = await Promise.all([
    read(trend),
    read("hour"),
    read("weekday"),
    read("group"),
    read("agent"),
    read(dimension),
  ]);
  return { trend: trendReport, hours, weekdays, groups, agents, dimension: dimensionReport };
}

const rate = (value: number | null) => (value === null ? "—" : `${asPercent(value)}%`);
const seconds = (value: number | null) => (value === null ? "—" : duration(value * 1000));

function Totals({ report }: { report: KpiReport }) {
  const k = report.totals;
  const cards: [MessageKey, string | number][] = [
    ["kpi.created", k.created],
    ["kpi.resolved", k.resolved],
    ["kpi.backlog", k.backlog ?? "—"],
    ["kpi.frtMean", seconds(k.firstResponse.meanSeconds)],
    ["kpi.onTime", rate(k.firstResponse.withinTargetRate)],
    ["kpi.fcr", rate(k.fcrRate)],
    ["kpi.csatMean", k.csat.mean ?? "—"],
    ["kpi.nps", k.nps.score ?? "—"],
  ];
  return (
    <dl class="kpi-totals" data-testid="kpi-totals">
      {cards.map(([label, value]) => (
        <div key={label}>
          <dt>{t(label)}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

function AgentTable({ report }: { report: KpiReport }) {
  if (report.rows.length === 0) return <p>{t("kpi.noRows")}</p>;
  return (
    <div class="overflow-auto">
      <table class="striped" data-testid="agent-table">
        <thead>
          <tr>
            <th scope="col">{t("kpi.agent")}</th>
            <th scope="col">{t("kpi.created")}</th>
            <th scope="col">{t("kpi.resolved")}</th>
            <th scope="col">{t("kpi.frtMean")}</th>
            <th scope="col">{t("kpi.onTime")}</th>
            <th scope="col">{t("kpi.handleTime")}</th>
            <th scope="col">{t("kpi.fcr")}</th>
            <th scope="col">{t("kpi.reopen")}</th>
            <th scope="col">{t("kpi.csatMean")}</th>
          </tr>
        </thead>
        <tbody>
          {report.rows.map((row) => (
            <tr key={row.key} data-agent={row.key}>
              <th scope="row">{row.key}</th>
              <td>{row.created}</td>
              <td>{row.resolved}</td>
              <td>{seconds(row.firstResponse.meanSeconds)}</td>
              <td>{rate(row.firstResponse.withinTargetRate)}</td>
              <td>{seconds(row.handleTime.meanSeconds)}</td>
              <td>{rate(row.fcrRate)}</td>
              <td>{rate(row.reopenRate)}</td>
              <td>{row.csat.mean ?? "—"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

const weekdayLabel = (key: string) => tv("weekday", key);

export function Dashboard() {
  const [period, setPeriod] = useState<Period>(() => lastDays(7, new Date(), config().timeZone));
  const [trend, setTrend] = useState<Trend>("day");
  const [dimension, setDimension] = useState<Dimension>("channel");
  const [reports, setReports] = useState<Reports | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const problem = periodProblem(period);

  useEffect(() => {
    if (problem) return;
    let current = true;
    setBusy(true);
    loadReports(period, trend, dimension)
      .then(
        (loaded) => current && (setReports(loaded), setError(null)),
        (err) => current && setError(err),
      )
      .finally(() => current && setBusy(false));
    return () => {
      current = false;
    };
  }, [period.from, period.to, trend, dimension, problem]);

  const dimensionLabel = useMemo(
    () => (dimension === "group" || dimension === "agent" ? undefined : (key: string) => tv(dimension, key)),
    [dimension],
  );
  const charts = useMemo(
    () =>
      reports && {
        volume: volume(reports.trend),
        frt: firstResponse(reports.trend),
        hours: peaks(reports.hours, "hours"),
        weekdays: peaks(reports.weekdays, "weekdays"),
        groups: breachesByGroup(reports.groups),
        complaints: complaints(reports.trend),
        satisfaction: satisfaction(reports.trend),
        breakdown: breakdown(reports.dimension),
      },
    [reports],
  );

  return (
    <ConsoleLayout title="console.dashboard">
      <form class="grid kpi-pickers" onSubmit={(e) => e.preventDefault()}>
        <label>
          {t("kpi.from")}
          <input
            type="date"
            data-testid="kpi-from"
            value={period.from}
            onChange={(e) => setPeriod({ ...period, from: (e.target as HTMLInputElement).value })}
          />
        </label>
        <label>
          {t("kpi.to")}
          <input
            type="date"
            data-testid="kpi-to"
            value={period.to}
            onChange={(e) => setPeriod({ ...period, to: (e.target as HTMLInputElement).value })}
          />
        </label>
        <label>
          {t("kpi.trend")}
          <select data-testid="kpi-trend" value={trend} onChange={(e) => setTrend((e.target as HTMLSelectElement).value as Trend)}>
            {TRENDS.map((value) => (
              <option key={value} value={value}>
                {tv("kpi.by", value)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t("kpi.dimension")}
          <select
            data-testid="kpi-dimension"
            value={dimension}
            onChange={(e) => setDimension((e.target as HTMLSelectElement).value as Dimension)}
          >
            {DIMENSIONS.map((value) => (
              <option key={value} value={value}>
                {tv("kpi.by", value)}
              </option>
            ))}
          </select>
        </label>
      </form>
      {problem && (
        <p role="alert" class="error">
          {t(problem === "order" ? "kpi.periodOrder" : "kpi.periodLength")}
        </p>
      )}
      <ErrorMessage error={error} />
      {busy && !reports && <p aria-busy="true">{t("app.loading")}</p>}
      {reports && charts && (
        <div aria-busy={busy}>
          <p>
            <small>{t("kpi.period", { from: reports.trend.period.from, to: reports.trend.period.to, zone: reports.trend.period.timeZone })}</small>
          </p>
          <Totals report={reports.trend} />
          <div class="charts">
            <Chart chart={charts.volume} title="kpi.chart.volume" />
            <Chart chart={charts.frt} title="kpi.chart.frt" />
            <Chart chart={charts.hours} title="kpi.chart.hours" />
            <Chart chart={charts.weekdays} title="kpi.chart.weekdays" labelOf={weekdayLabel} />
            <Chart chart={charts.groups} title="kpi.chart.groups" />
            <Chart chart={charts.complaints} title="kpi.chart.complaints" />
            <Chart chart={charts.satisfaction} title="kpi.chart.satisfaction" />
            <Chart chart={charts.breakdown} title="kpi.chart.breakdown" labelOf={dimensionLabel} />
          </div>
          <section aria-labelledby="agents-title">
            <h2 id="agents-title">{t("kpi.agents")}</h2>
            <AgentTable report={reports.agents} />
          </section>
        </div>
      )}
    </ConsoleLayout>
  );
}

export default Dashboard;
