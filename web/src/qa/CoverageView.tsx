import { useEffect, useState } from "preact/hooks";
import { monthCoverage, type Coverage } from "../api/qa";
import { config } from "../config";
import { t } from "../i18n";
import { dateTime } from "../lib/format";
import { ErrorMessage } from "../shell/ErrorMessage";
import { qt } from "./messages";
import { monthOf } from "./month";
import { MonthField } from "./MonthField";
import { QaLayout } from "./QaLayout";
import { percent } from "./show";

/** A month's coverage: every agent sampled or covered as having no tickets, how much of each sample is reviewed. */
export function CoverageView() {
  const [month, setMonth] = useState(() => monthOf(window.location.search, new Date(), config().timeZone));
  const [coverage, setCoverage] = useState<Coverage | null>(null);
  const [error, setError] = useState<unknown>(null);

  const load = () =>
    monthCoverage(month).then(
      (found) => {
        setCoverage(found);
        setError(null);
      },
      setError,
    );
  useEffect(() => {
    setCoverage(null);
    window.history.replaceState(null, "", `/qa/coverage?month=${month}`);
    void load();
  }, [month]);

  const totals = coverage?.totals;
  return (
    <QaLayout title={qt("qa.coverage.title")} here="/qa/coverage">
      <MonthField month={month} onMonth={setMonth} testid="qa-coverage-month" />
      <ErrorMessage error={error} onRetry={() => void load()} />
      {!coverage && !error && <p aria-busy="true">{t("app.loading")}</p>}
      {coverage && totals && (
        <>
          <p data-testid="qa-sampled-at">
            {coverage.sampledAt ? qt("qa.coverage.sampledAt", { at: dateTime(coverage.sampledAt) }) : qt("qa.coverage.notSampled")}
          </p>
          <dl class="kpi-totals" data-testid="qa-coverage-totals">
            <div>
              <dt>{qt("qa.coverage.agentsCovered")}</dt>
              <dd>
                {totals.agentsCovered}/{totals.agents}
              </dd>
            </div>
            <div>
              <dt>{qt("qa.coverage.withoutTickets")}</dt>
              <dd>{totals.agentsWithoutTickets}</dd>
            </div>
            <div>
              <dt>{qt("qa.coverage.fullyReviewed")}</dt>
              <dd>{totals.agentsFullyReviewed}</dd>
            </div>
            <div>
              <dt>{qt("qa.coverage.reviewedOfSampled")}</dt>
              <dd>
                {totals.reviewed}/{totals.sampled} ({percent(totals.coverage)})
              </dd>
            </div>
            <div>
              <dt>{qt("qa.coverage.qaScore")}</dt>
              <dd>{totals.qaScore === null || totals.qaScore === undefined ? "—" : totals.qaScore.toFixed(1)}</dd>
            </div>
          </dl>
          {coverage.agents.length === 0 ? (
            <p data-testid="qa-empty">{qt("qa.coverage.empty")}</p>
          ) : (
            <div class="overflow-auto">
              <table class="striped" data-testid="qa-coverage">
                <thead>
                  <tr>
                    <th scope="col">{qt("qa.agent")}</th>
                    <th scope="col">{qt("qa.coverage.resolved")}</th>
                    <th scope="col">{qt("qa.coverage.sampled")}</th>
                    <th scope="col">{qt("qa.coverage.reviewed")}</th>
                    <th scope="col">{qt("qa.coverage.coverage")}</th>
                    <th scope="col">{qt("qa.coverage.qaScore")}</th>
                    <th scope="col">{qt("qa.coverage.passRate")}</th>
                  </tr>
                </thead>
                <tbody>
                  {coverage.agents.map((row) => (
                    <tr key={row.agentId} data-agent={row.agentId}>
                      <th scope="row">
                        <a href={`/qa/scorecards?agent=${encodeURIComponent(row.agentId)}&month=${month}`}>{row.agentId}</a>
                      </th>
                      <td>{row.resolved ?? "—"}</td>
                      {row.noTickets ? (
                        <td colSpan={3} data-testid="no-tickets">
                          {qt("qa.coverage.noTickets")}
                        </td>
                      ) : (
                        <>
                          <td>{row.sampled}</td>
                          <td>{row.reviewed}</td>
                          <td>{percent(row.coverage)}</td>
                        </>
                      )}
                      <td>{row.qaScore === null || row.qaScore === undefined ? "—" : row.qaScore.toFixed(1)}</td>
                      <td>{percent(row.passRate)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
    </QaLayout>
  );
}
