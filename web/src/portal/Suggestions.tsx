import { useEffect, useMemo, useState } from "preact/hooks";
import { identity } from "../auth";
import { lang, t } from "../i18n";
import { ErrorMessage } from "../shell/ErrorMessage";
import { articleLanguage, debouncedSearch } from "./selfservice";
import { readArticle, recordDeflection, searchArticles, type Article, type ArticleHit } from "./selfServiceApi";

const PAUSE_MS = 400;

/** Public articles matching what the customer typed, under the new-ticket form; "this solved it" records a
 * deflection and hands the article to `onSolved` (the form then thanks them instead of opening a ticket). */
export function Suggestions(props: { query: string; onSolved: (article: ArticleHit) => void }) {
  const [hits, setHits] = useState<ArticleHit[]>([]);
  const [open, setOpen] = useState<Article | null>(null);
  const [error, setError] = useState<unknown>(null);
  // A search is a side effect of typing: once the session is over it is not sent (its 401 would take the customer
  // to sign in mid-sentence); the submit signs them in again, with the draft kept.
  const search = (q: string) => (identity() ? searchArticles(q, articleLanguage(lang())) : Promise.resolve([]));
  const typing = useMemo(() => debouncedSearch(search, setHits, PAUSE_MS), []);

  useEffect(() => typing.type(props.query), [props.query]);
  useEffect(() => () => typing.cancel(), []);

  async function read(hit: ArticleHit) {
    try {
      setOpen(open?.id === hit.id ? null : await readArticle(hit.id));
    } catch (err) {
      setError(err);
    }
  }

  async function solved(hit: ArticleHit) {
    try {
      await recordDeflection(hit.id, props.query);
      props.onSolved(hit);
    } catch (err) {
      setError(err);
    }
  }

  if (hits.length === 0) return null;
  return (
    <section aria-labelledby="suggestions-title" aria-live="polite" data-testid="suggestions">
      <h2 id="suggestions-title">{t("selfservice.title")}</h2>
      <ErrorMessage error={error} />
      <ul class="cards">
        {hits.map((hit) => (
          <li key={hit.id}>
            <article data-testid="suggestion">
              <strong>{hit.title}</strong>
              {hit.snippet && <p class="body">{hit.snippet}</p>}
              {open?.id === hit.id && <p class="body" data-testid="article-body">{open.body}</p>}
              <div role="group">
                <button type="button" class="secondary outline" aria-expanded={open?.id === hit.id} onClick={() => void read(hit)}>
                  {open?.id === hit.id ? t("selfservice.hide") : t("selfservice.read")}
                </button>
                <button type="button" data-testid="solved" onClick={() => void solved(hit)}>
                  {t("selfservice.solved")}
                </button>
              </div>
            </article>
          </li>
        ))}
      </ul>
    </section>
  );
}
