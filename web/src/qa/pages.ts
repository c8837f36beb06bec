import { useEffect, useState } from "preact/hooks";
import { listReviews, type Review, type ReviewQuery } from "../api/qa";

/**
 * Reviews page by page for `query` (its cursor filled in), read again from the first page whenever `deps` change;
 * `load(next)` appends the next page. The queue and "my reviews" list through it.
 */
export function useReviewPages(query: (cursor?: string) => ReviewQuery, deps: unknown[], onReload?: () => void) {
  const [reviews, setReviews] = useState<Review[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);

  async function load(cursor?: string) {
    try {
      const page = await listReviews(query(cursor));
      setReviews((before) => (cursor && before ? [...before, ...page.items] : page.items));
      setNext(page.nextCursor ?? null);
      setError(null);
    } catch (err) {
      setError(err);
    }
  }
  useEffect(() => {
    setReviews(null);
    onReload?.();
    void load();
  }, deps);

  return { reviews, next, error, load };
}
