// A new ticket's draft, kept in the tab's session storage: a session that expires mid-form (sign in again, come
// back) or a submit that failed offline keeps what was typed and the same Idempotency-Key, so a retry or a double
// tap never opens two tickets.
import type { Category } from "../api/tickets";

export interface Draft {
  subject: string;
  description: string;
  category: Category | "";
  idempotencyKey: string;
}

const KEY = "kefu.newTicketDraft";

export function loadDraft(storage: Storage, makeKey: () => string): Draft {
  try {
    const saved = JSON.parse(storage.getItem(KEY) ?? "null") as Partial<Draft> | null;
    if (saved && typeof saved.idempotencyKey === "string") {
      return {
        subject: String(saved.subject ?? ""),
        description: String(saved.description ?? ""),
        category: (saved.category ?? "") as Draft["category"],
        idempotencyKey: saved.idempotencyKey,
      };
    }
  } catch {
    // A damaged draft is dropped.
  }
  return { subject: "", description: "", category: "", idempotencyKey: makeKey() };
}

export function saveDraft(storage: Storage, draft: Draft): void {
  storage.setItem(KEY, JSON.stringify(draft));
}

export function clearDraft(storage: Storage): void {
  storage.removeItem(KEY);
}

export function hasText(draft: Draft): boolean {
  return !!(draft.subject || draft.description);
}
