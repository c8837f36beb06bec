// Self-service: public articles that may answer the customer before a ticket is needed, and the customer saying
// one did (a deflection on the new-ticket form; on a ticket whose acknowledgement offered it, its resolution).
import type { components } from "../api/schema";
import { request } from "../api/client";

type Schemas = components["schemas"];
export type ArticleHit = Schemas["ArticleHit"];
export type Article = Schemas["Article"];
export type KbLanguage = Schemas["Language"];
export type DeflectionRequest = Schemas["DeflectionRequest"];
export type SelfServiceRequest = Schemas["SelfServiceRequest"];

export async function searchArticles(q: string, lang: KbLanguage, limit = 3): Promise<ArticleHit[]> {
  const answer = await request<{ items: ArticleHit[] }>("GET", "/kb/articles", { query: { q, lang, limit } });
  return answer.data.items;
}

export async function readArticle(id: string): Promise<Article> {
  return (await request<Article>("GET", `/kb/articles/${encodeURIComponent(id)}`)).data;
}

/** The article answered the customer on the new-ticket form: no ticket is opened (201, once a day per article). */
export async function recordDeflection(articleId: string, query: string): Promise<void> {
  const body: DeflectionRequest = { query: query || null };
  await request("POST", `/kb/articles/${encodeURIComponent(articleId)}/deflections`, { body });
}

/** The article the ticket's acknowledgement offered solved it: the ticket is resolved by self-service. */
export async function solvedBy(ticketId: string, articleId: string): Promise<void> {
  const body: SelfServiceRequest = { articleId };
  await request("POST", `/tickets/${encodeURIComponent(ticketId)}/self-service`, { body });
}
