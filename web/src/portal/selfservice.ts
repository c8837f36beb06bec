// What the new-ticket form searches for while the customer types, in which language, and how often.
import type { Lang } from "../i18n";
import type { KbLanguage } from "./selfServiceApi";
import type { TimelineEntry } from "../api/tickets";

/** The search API's limit on `q`. */
const MAX_QUERY = 500;
/** Fewer characters than this say too little to search on (a Chinese word is two). */
const MIN_QUERY = 2;

/** The words to search for: the subject, then the start of the description. Empty when there is too little. */
export function searchText(subject: string, description: string): string {
  const text = `${subject.trim()} ${description.trim()}`.trim().replace(/\s+/g, " ");
  return text.length < MIN_QUERY ? "" : text.slice(0, MAX_QUERY);
}

/** The knowledge base's language for the reader's. */
export function articleLanguage(lang: Lang): KbLanguage {
  if (lang === "zh-TW") return "zh-Hant";
  if (lang === "en") return "en";
  return "zh-Hans";
}

/**
 * Calls `search` once typing has paused for `delayMs`, and hands `show` only the answer to the latest text: an
 * answer to older text arriving late is dropped. Errors (a query of only common words is a 400) show nothing.
 */
export function debouncedSearch<T>(
  search: (text: string) => Promise<T[]>,
  show: (items: T[]) => void,
  delayMs: number,
): { type: (text: string) => void; cancel: () => void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let latest = 0;
  return {
    type(text: string) {
      clearTimeout(timer);
      const asked = ++latest;
      if (!text) {
        show([]);
        return;
      }
      timer = setTimeout(() => {
        search(text).then(
          (items) => asked === latest && show(items),
          () => asked === latest && show([]),
        );
      }, delayMs);
    },
    cancel() {
      clearTimeout(timer);
      latest++;
    },
  };
}

/** The article a ticket's acknowledgement offered ("this may answer your question"), if any: the public
 * `self-service` entry written when the ticket opened (`data.event` "offered", with the article's id and title). */
export function offeredArticle(entries: TimelineEntry[]): { id: string; title: string | null } | null {
  for (const entry of [...entries].reverse()) {
    const data = (entry.data ?? {}) as Record<string, unknown>;
    if (entry.visibility === "public" && data.event === "offered" && typeof data.articleId === "string") {
      return { id: data.articleId, title: typeof data.title === "string" ? data.title : null };
    }
  }
  return null;
}
