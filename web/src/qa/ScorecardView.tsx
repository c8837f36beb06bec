import { useEffect, useState } from "preact/hooks";
import { monthCoverage, scorecard, type Scorecard } from "../api/qa";
import { identity, isReviewer } from "../auth";
import { config } from "../config";
import { t } from "../i18n";
import { ErrorMessage } from "../shell/ErrorMessage";
import { agentProblem } from "./filters";
import { qt, type QaKey } from "./messages";
import { monthOf } from "./month";
import { MonthField } from "./MonthField";
import { QaLayout } from "./QaLayout";
import { scorecardRows, type Comparison } from "./scorecard";
import { figure } from "./show";

const COMPARISON: Record<Exclude<Comparison, null>, QaKey> = {
  better: "qa.card.better",
  worse: "qa.card.worse",
  same: "qa.card.same",
};

/** An agent's month beside the group's average: agents see their own, reviewers and supervisors anyone's. */
export function ScorecardView() {
  const reviewer = isReviewer(identity());
  const params = new URLSearchParams(window.location.search);
  const [month, setMonth] = useState(() => monthOf(window.location.search, new Date(), config().timeZone));
  const asked = params.get("agent") ?? "";
  const [agent, setAgent] = useState(reviewer && agentProblem(asked) === null ? asked : "");
  const [agentText, setAgentText] = useState(agent);
  const [agents, setAgents] = useState<string[]>([]);
  const [card, setCard] = useState<Scorecard | null>(null);
  const [error, setError] = useState<unknown>(null);

  const load = () => {
    setCard(null);
    if (reviewer && !agent) return;
    scorecard(month, reviewer ? agent : undefined).then(
      (found) => {
        setCard(found);
        setError(null);
      },
      setError,
    );
  };
  useEffect(() => {
    const query = new URLSearchParams({ month, ...(agent ? { agent } : {}) });
    window.history.replaceState(null, "", `/qa/scorecards?${query}`);
    load();
  }, [month, agent]);
  // Reviewers pick among the month's agents (its coverage lists them all); any agent id may still be typed.
  useEffect(() => {
    if (reviewer) monthCoverage(month).then((found) => setAgents(found.agents.map((row) => row.agentId)), () => setAgents([]));
  }, [month]);

  const badAgent = agentProblem(agentText) !== null;
  return (
    <QaLayout title={qt("qa.card.title")} here="/qa/scorecards">
      <form
        class="grid"
        aria-label={qt("qa.card.pick")}
        onSubmit={(e) => {
          e.preventDefault();
          if (!badAgent) setAgent(agentText.trim());
        }}
      >
        <MonthField month={month} onMonth={setMonth} testid="qa-card-month" />
        {reviewer && (
          <label>
            {qt("qa.filter.agent")}
            <input
              type="text"
              list="qa-card-agents"
              data-testid="qa-card-agent"
              value={agentText}
              aria-invalid={badAgent ? "true" : undefined}
              onInput={(e) => setAgentText((e.target as HTMLInputElement).value)}
              onChange={(e) => {
                const value = (e.target as HTMLInputElement).value.trim();
                if (agentProblem(value) === null) setAgent(value);
              }}
            />
            <datalist id="qa-card-agents">
              {agents.map((id) => (
                <option key={id} value={id} />
              ))}
            </datalist>
            {badAgent && <small class="error">{qt("qa.filter.agentInvalid")}</small>}
          </label>
        )}
      </form>
      <ErrorMessage error={error} onRetry={load} />
      {reviewer && !agent && <p data-testid="qa-card-pick">{qt("qa.card.pickAgent")}</p>}
      {!card && !error && (!reviewer || agent) && <p aria-busy="true">{t("app.loading")}</p>}
      {card && (
        <>
          <p data-testid="qa-card-who">{qt("qa.card.who", { agent: card.agentId, month: card.month, agents: card.agents })}</p>
          <table class="striped" data-testid="qa-card">
            <thead>
              <tr>
                <th scope="col">{qt("qa.card.figure")}</th>
                <th scope="col">{qt("qa.card.agent")}</th>
                <th scope="col">{qt("qa.card.group")}</th>
                <th scope="col">{qt("qa.card.compared")}</th>
              </tr>
            </thead>
            <tbody>
              {scorecardRows(card).map((row) => (
                <tr key={row.key} data-figure={row.key}>
                  <th scope="row">{qt(`qa.figure.${row.key}`)}</th>
                  <td data-testid="agent-value">{figure(row.agent, row.kind)}</td>
                  <td data-testid="group-value">{figure(row.group, row.kind)}</td>
                  <td class={row.comparison ? `qa-${row.comparison}` : undefined}>{row.comparison ? qt(COMPARISON[row.comparison]) : "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </QaLayout>
  );
}
