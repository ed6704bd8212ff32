// The UI's language (DECISIONS.md 73): English or simplified Chinese,
// chosen from the browser's languages until the user picks one with the
// switch (remembered in localStorage "vigil.lang"). Every string of the UI
// is in a table of *_text.ts made with `texts`: one object per language of
// the same type, so a key missing in one language does not compile. A
// component reads its table when it renders (`const t = alarmText()`);
// switching re-renders the app from its root (main.tsx), so every page
// shows the new language at once, without a reload.

export type Lang = "en" | "zh";
export const kLangs: Lang[] = ["en", "zh"];
// Each language's name in itself, for the switch.
export const kLangNames: Record<Lang, string> = { en: "English", zh: "中文" };
// The BCP 47 tag of each: <html lang> and Intl.
export const kTags: Record<Lang, string> = { en: "en", zh: "zh-CN" };
const kStorageKey = "vigil.lang";

// The first of the browser's languages that is Chinese (any zh-*: the UI
// has simplified Chinese only) or English; English when neither is.
function langFromBrowser(languages: readonly string[]): Lang {
  for (const tag of languages) {
    const primary = tag.toLowerCase().split("-")[0];
    if (primary === "zh") return "zh";
    if (primary === "en") return "en";
  }
  return "en";
}

function saved(): Lang | undefined {
  const l = localStorage.getItem(kStorageKey);
  return kLangs.find((x) => x === l);
}

// Read lazily: the tables are also loaded outside a browser (the i18n
// test reads the English strings in Node).
let current: Lang | undefined;

export function lang(): Lang {
  current ??= saved() ?? langFromBrowser(navigator.languages?.length ? navigator.languages : [navigator.language]);
  return current;
}

export function locale(): string {
  return kTags[lang()];
}

// Chooses the language, remembers it and marks the document with it; the
// caller re-renders (main.tsx).
export function setLang(l: Lang): void {
  current = l;
  localStorage.setItem(kStorageKey, l);
  applyLang();
}

export function applyLang(): void {
  document.documentElement.lang = locale();
}

// A string table in each language: `en` fixes the type and `zh` must match
// it key for key (NoInfer: zh's object does not widen the type). Called,
// it returns the current language's table; `table` holds both (the i18n
// test reads every English string from it).
export type Texts<T> = (() => T) & { readonly table: { readonly en: T; readonly zh: T } };

export function texts<T>(table: { en: T; zh: NoInfer<T> }): Texts<T> {
  return Object.assign(() => table[lang()], { table });
}
