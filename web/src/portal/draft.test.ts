import { describe, expect, it } from "vitest";
import { clearDraft, loadDraft, saveDraft } from "./draft";

class MemoryStorage implements Storage {
  private items = new Map<string, string>();
  get length() {
    return this.items.size;
  }
  clear() {
    this.items.clear();
  }
  getItem(key: string) {
    return this.items.get(key) ?? null;
  }
  key(index: number) {
    return [...this.items.keys()][index] ?? null;
  }
  removeItem(key: string) {
    this.items.delete(key);
  }
  setItem(key: string, value: string) {
    this.items.set(key, value);
  }
}

describe("a new ticket's draft", () => {
  it("keeps what was typed and its idempotency key until the ticket is open", () => {
    const storage = new MemoryStorage();
    const draft = loadDraft(storage, () => "key-1");
    saveDraft(storage, { ...draft, subject: "Broken lid" });
    expect(loadDraft(storage, () => "key-2")).toEqual({
      subject: "Broken lid",
      description: "",
      category: "",
      attachments: [],
      idempotencyKey: "key-1",
    });
    clearDraft(storage);
    expect(loadDraft(storage, () => "key-3").idempotencyKey).toBe("key-3");
  });

  it("drops a damaged draft", () => {
    const storage = new MemoryStorage();
    storage.setItem("kefu.newTicketDraft", "{not json");
    expect(loadDraft(storage, () => "fresh").idempotencyKey).toBe("fresh");
  });
});
