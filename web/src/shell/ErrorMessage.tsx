import { ApiError, NetworkError } from "../api/client";
import { t, type MessageKey } from "../i18n";

/** What a person reads for an error: one clear sentence per kind, never a blank page. */
export function errorText(error: unknown): string {
  if (error instanceof NetworkError) return t("error.offline");
  if (error instanceof ApiError) {
    const detail = error.problem.errors?.map((e) => `${e.location}: ${e.message}`).join("; ") || error.problem.detail;
    return t(`error.${error.kind}` as MessageKey, { detail, status: error.status });
  }
  return t("error.server");
}

export function ErrorMessage({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  if (!error) return null;
  return (
    <article class="error" role="alert">
      <strong>{t("error.title")}</strong>
      <p>{errorText(error)}</p>
      {onRetry && (
        <button type="button" class="secondary" onClick={onRetry}>
          {t("error.retry")}
        </button>
      )}
    </article>
  );
}
