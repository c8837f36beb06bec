// Handle time: the seconds a ticket is on screen in a visible tab, counted here and sent in whole seconds.
// Each second is handed out once (take() removes what it returns), so a flush on an interval, on hiding the tab
// and on leaving the ticket never sends the same time twice; a failed send is not retried, because a request
// that failed on the way back may still have been counted (under-counting beats double-counting).

/** The API's ceiling for one record. */
export const MAX_SECONDS = 28_800;

export class WorkClock {
  private banked = 0;
  private since: number | null;

  constructor(now: number, visible: boolean) {
    this.since = visible ? now : null;
  }

  /** The tab became visible (or the agent came back to the ticket). */
  resume(now: number): void {
    if (this.since === null) this.since = now;
  }

  /** The tab was hidden: the time until now counts, what follows does not. */
  pause(now: number): void {
    if (this.since !== null) {
      this.banked += Math.max(0, now - this.since);
      this.since = null;
    }
  }

  get running(): boolean {
    return this.since !== null;
  }

  /** Milliseconds worked and not yet taken. */
  pending(now: number): number {
    return this.banked + (this.since === null ? 0 : Math.max(0, now - this.since));
  }

  /** The whole seconds to send now (at most MAX_SECONDS), removed from the clock; the fraction stays for later. */
  take(now: number): number {
    const running = this.since !== null;
    const total = this.pending(now);
    const seconds = Math.min(Math.floor(total / 1000), MAX_SECONDS);
    this.banked = total - seconds * 1000;
    this.since = running ? now : null;
    return seconds;
  }
}
