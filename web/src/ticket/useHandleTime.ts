import { useEffect } from "preact/hooks";
import { recordWork } from "../api/tickets";
import { WorkClock } from "./workclock";

const FLUSH_MS = 60_000;

/**
 * Handle time while the ticket is open: counted only while the tab is visible, sent every minute, when the tab is
 * hidden and when the agent leaves the ticket (a keepalive request, so closing the tab still sends it).
 */
export function useHandleTime(ticketId: string, enabled: boolean): void {
  useEffect(() => {
    if (!enabled) return;
    const clock = new WorkClock(Date.now(), document.visibilityState === "visible");
    const flush = (leaving: boolean) => {
      const seconds = clock.take(Date.now());
      // A failed record is dropped, not retried: see workclock.ts.
      if (seconds > 0) recordWork(ticketId, seconds, leaving).catch(() => undefined);
    };
    const onVisibility = () => {
      if (document.visibilityState === "visible") clock.resume(Date.now());
      else {
        clock.pause(Date.now());
        flush(true);
      }
    };
    const onPageHide = () => {
      clock.pause(Date.now());
      flush(true);
    };
    const timer = setInterval(() => flush(false), FLUSH_MS);
    document.addEventListener("visibilitychange", onVisibility);
    window.addEventListener("pagehide", onPageHide);
    return () => {
      clearInterval(timer);
      document.removeEventListener("visibilitychange", onVisibility);
      window.removeEventListener("pagehide", onPageHide);
      clock.pause(Date.now());
      flush(true);
    };
  }, [ticketId, enabled]);
}
