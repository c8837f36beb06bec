// A new ticket's draft, kept in the tab's session storage: a session that expires mid-form (sign in again, come
// back) or a submit that failed offline keeps what was typed and the same Idempotency-Key, so a retry or a double
// tap never opens two tickets.
import type { Category } from "../api/tickets";
import type { Attachment } from "./attachmentsApi";

export interface Draft {
  subject: string;
  description: string;
  category: Category | "";
  /** Files already uploaded to S3: a draft kept across a sign-in keeps them too. */
  attachments: Attachment[];
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
        attachments: Array.isArray(saved.attachments) ? saved.attachments : [],
        idempotencyKey: saved.idempotencyKey,
      };
    }
  } catch {
    // A damaged draft is dropped.
  }
  return { subject: "", description: "", category: "", attachments: [], idempotencyKey: makeKey() };
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
