import { useEffect, useState } from "preact/hooks";

/** The current time, ticking: countdowns move without anything being fetched. */
export function useNow(everyMs = 1000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}

/** Run `load` now and every `everyMs` while the page is visible: lists and timelines follow changes unreloaded. */
export function usePoll(load: () => Promise<void>, everyMs: number, deps: unknown[]): void {
  useEffect(() => {
    let stopped = false;
    const tick = () => {
      if (!stopped && document.visibilityState === "visible") void load();
    };
    void load();
    const timer = setInterval(tick, everyMs);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
}

/** A stable random id for this mount (an Idempotency-Key that survives retries of the same submit). */
export function newKey(): string {
  return crypto.randomUUID();
}
