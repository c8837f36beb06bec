// Message catalogues and the reader's language: zh-CN by default, zh-TW and en switchable, kept across visits.
import { useEffect, useState } from "preact/hooks";
import { zhCN, type MessageKey } from "./zh-CN";
import { zhTW } from "./zh-TW";
import { en } from "./en";

export type Lang = "zh-CN" | "zh-TW" | "en";
export type { MessageKey };

export const LANGS: { id: Lang; label: string }[] = [
  { id: "zh-CN", label: "简体中文" },
  { id: "zh-TW", label: "繁體中文" },
  { id: "en", label: "English" },
];

export const CATALOGUES: Record<Lang, Record<MessageKey, string>> = { "zh-CN": zhCN, "zh-TW": zhTW, en };
const LANG_KEY = "kefu.lang";

function initialLang(): Lang {
  const stored = typeof localStorage === "undefined" ? null : localStorage.getItem(LANG_KEY);
  return LANGS.some((lang) => lang.id === stored) ? (stored as Lang) : "zh-CN";
}

let current: Lang = initialLang();
const listeners = new Set<(lang: Lang) => void>();

export function lang(): Lang {
  return current;
}

export function setLang(next: Lang): void {
  current = next;
  localStorage.setItem(LANG_KEY, next);
  document.documentElement.lang = next;
  listeners.forEach((listener) => listener(next));
}

/** Re-render the calling component when the language changes. */
export function useLang(): Lang {
  const [value, set] = useState(current);
  useEffect(() => {
    listeners.add(set);
    return () => listeners.delete(set);
  }, []);
  return value;
}

export function format(template: string, params: Record<string, string | number> = {}): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

export function translate(language: Lang, key: MessageKey, params?: Record<string, string | number>): string {
  return format(CATALOGUES[language][key] ?? zhCN[key], params);
}

/** A message in the current language. Keys are typed: an unknown key does not compile. */
export function t(key: MessageKey, params?: Record<string, string | number>): string {
  return translate(current, key, params);
}

/** Keys built from API values (statuses, categories…) are checked at run time: an unknown value shows as itself. */
export function tv(prefix: string, value: string | null | undefined): string {
  if (value === null || value === undefined) return "";
  const key = `${prefix}.${value}` as MessageKey;
  return key in zhCN ? t(key) : value;
}
