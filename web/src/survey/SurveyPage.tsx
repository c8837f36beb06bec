import { useEffect, useState } from "preact/hooks";
import { ApiError } from "../api/client";
import { answerSurvey, showSurvey, type SurveyView } from "../api/surveys";
import { t } from "../i18n";
import { dateTime } from "../lib/format";
import { Layout } from "../shell/Layout";
import { ErrorMessage } from "../shell/ErrorMessage";

/** Each way a link can fail has its own page: unknown (404), expired (403), answered (409). */
type Outcome = "form" | "thanks" | "unknown" | "expired" | "answered";

function outcomeOf(error: unknown): Outcome | null {
  if (!(error instanceof ApiError)) return null;
  if (error.kind === "not-found") return "unknown";
  if (error.kind === "forbidden") return "expired";
  if (error.kind === "conflict") return "answered";
  return null;
}

function Scale(props: { name: string; legend: string; from: number; to: number; value: number | null; onChange: (n: number) => void }) {
  const values = Array.from({ length: props.to - props.from + 1 }, (_, i) => props.from + i);
  return (
    <fieldset class="scale">
      <legend>{props.legend}</legend>
      {values.map((n) => (
        <label key={n}>
          <input type="radio" name={props.name} value={n} data-testid={`${props.name}-${n}`} checked={props.value === n} onChange={() => props.onChange(n)} />
          {t("survey.score", { n })}
        </label>
      ))}
    </fieldset>
  );
}

export function SurveyPage({ token }: { token: string }) {
  const [survey, setSurvey] = useState<SurveyView | null>(null);
  const [outcome, setOutcome] = useState<Outcome>("form");
  const [error, setError] = useState<unknown>(null);
  const [csat, setCsat] = useState<number | null>(null);
  const [nps, setNps] = useState<number | null>(null);
  const [comment, setComment] = useState("");

  const fail = (err: unknown) => {
    const known = outcomeOf(err);
    if (known) setOutcome(known);
    else setError(err);
  };

  useEffect(() => {
    showSurvey(token).then(setSurvey, fail);
  }, [token]);

  async function submit(event: Event) {
    event.preventDefault();
    if (csat === null) return;
    try {
      await answerSurvey(token, { csat, nps, comment: comment || null });
      setOutcome("thanks");
    } catch (err) {
      fail(err);
    }
  }

  const page = (testid: string, title: string, body: string) => (
    <Layout>
      <section data-testid={testid}>
        <h1>{title}</h1>
        <p>{body}</p>
      </section>
    </Layout>
  );
  if (outcome === "thanks") return page("survey-thanks", t("survey.thanks"), t("survey.thanksBody"));
  if (outcome === "unknown") return page("survey-unknown", t("survey.unknown.title"), t("survey.unknown.body"));
  if (outcome === "expired") return page("survey-expired", t("survey.expired.title"), t("survey.expired.body"));
  if (outcome === "answered") return page("survey-answered", t("survey.answered.title"), t("survey.answered.body"));
  return (
    <Layout>
      <h1>{t("survey.title")}</h1>
      <ErrorMessage error={error} />
      {!survey && !error && <p aria-busy="true">{t("app.loading")}</p>}
      {survey && (
        <form onSubmit={submit} data-testid="survey-form">
          <p>{t("survey.about", { id: survey.ticket.id, subject: survey.ticket.subject })}</p>
          <p>
            <small>{t("survey.expiresAt", { time: dateTime(survey.expiresAt) })}</small>
          </p>
          <Scale name="csat" legend={t("survey.csat")} from={1} to={5} value={csat} onChange={setCsat} />
          <Scale name="nps" legend={t("survey.nps")} from={0} to={10} value={nps} onChange={setNps} />
          <label>
            {t("survey.comment")}
            <textarea data-testid="comment" value={comment} maxLength={2000} onInput={(e) => setComment((e.target as HTMLTextAreaElement).value)} />
          </label>
          <button type="submit" data-testid="survey-submit" disabled={csat === null}>
            {t("survey.submit")}
          </button>
        </form>
      )}
    </Layout>
  );
}
