// Keyboard shortcuts of the ticket screen: single keys, ignored while the agent types in a field.
export type ShortcutAction = "take" | "reply" | "note" | "resolve" | "canned";

export const SHORTCUTS: Record<string, ShortcutAction> = { t: "take", r: "reply", n: "note", e: "resolve", "/": "canned" };

interface KeyLike {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  target: EventTarget | null;
}

function typingIn(target: EventTarget | null): boolean {
  const element = target as { tagName?: string; isContentEditable?: boolean } | null;
  const tag = element?.tagName?.toUpperCase();
  return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || !!element?.isContentEditable;
}

export function shortcutOf(event: KeyLike): ShortcutAction | null {
  if (event.ctrlKey || event.metaKey || event.altKey || typingIn(event.target)) return null;
  return SHORTCUTS[event.key.toLowerCase()] ?? null;
}
