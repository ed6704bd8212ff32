// The UI's strings for the i18n test (i18n_e2e.mjs): the English strings
// of every table of web/src/*_text.ts, read from the source, and what a
// page in Chinese shows, checked against them.
import assert from "node:assert/strict";
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { build } from "vite";
import { WEB_DIR, tempDir } from "./lib.mjs";

// Every table of web/src/*_text.ts, bundled from the source by Vite and
// imported: { name: { en, zh } }.
async function stringTables() {
  const dir = tempDir("vigil-strings-");
  const entry = join(dir.path, "tables.ts");
  const files = readdirSync(join(WEB_DIR, "src")).filter((f) => f.endsWith("_text.ts"));
  writeFileSync(entry, files.map((f) => `export * from ${JSON.stringify(join(WEB_DIR, "src", f))};`).join("\n"));
  const out = await build({
    configFile: false,
    root: WEB_DIR,
    logLevel: "silent",
    build: { write: false, minify: false, lib: { entry, formats: ["es"], fileName: "tables" } },
  });
  dir.remove();
  const code = (Array.isArray(out) ? out[0] : out).output[0].code;
  const module = await import(`data:text/javascript;base64,${Buffer.from(code).toString("base64")}`);
  return Object.fromEntries(Object.entries(module).filter(([, v]) => v?.table?.en).map(([k, v]) => [k, v.table]));
}

// What a table's entry shows: a string as it is; a function's text,
// called with a stand-in that reads as a marker in text (and as any
// property of itself), then with "", 1 and null for the other branches.
const MARK = "\u0001";
const standIn = new Proxy(function () {}, {
  get: (_, key) => (key === Symbol.toPrimitive ? () => MARK : standIn),
  apply: () => standIn,
});
function outputs(v) {
  if (typeof v === "string") return [v];
  const out = [];
  for (const arg of [standIn, "", 1, null]) {
    try {
      out.push(String(v(...Array(Math.max(v.length, 1)).fill(arg))));
    } catch {
      out.push(""); // an argument of another type: the other calls cover it
    }
  }
  return out;
}

// Each entry of a table as { key, en, zh }: its outputs in both languages.
function entries(en, zh, key) {
  if (typeof en === "string" || typeof en === "function") return [{ key, en: outputs(en), zh: outputs(zh) }];
  if (en && typeof en === "object") return Object.keys(en).flatMap((k) => entries(en[k], zh[k], `${key}.${k}`));
  return [];
}

// The fixed text of outputs: the text around the arguments, with at least
// one Latin word.
function fragments(texts) {
  const out = new Set();
  for (const s of texts) {
    for (const f of s.split(new RegExp(`${MARK}|undefined|NaN|null|\\d+`))) {
      const t = f.replace(/\s+/g, " ").trim();
      if (/[A-Za-z]{2,}/.test(t)) out.add(t);
    }
  }
  return out;
}

const latinWords = (s) => s.match(/[A-Za-z]{2,}/g) ?? [];

// Entries the same in both languages on purpose: codes and placeholders
// in Latin letters.
const kSameInBoth = ["networkText.pastePlaceholder", "networkText.codePlaceholder",
  ...[1, 2, 3, 4, 5].map((i) => `overviewText.units.${i}`)]; // KB, MB...: the same symbols in Chinese

// What the Chinese UI may not show: each English fragment the Chinese
// tables do not also use, and the Latin words they do use. An entry whose
// Chinese is its English (a string left untranslated) fails here, named.
export async function englishChecks() {
  const tables = await stringTables();
  const all = Object.entries(tables).flatMap(([name, t]) => entries(t.en, t.zh, name));
  const same = all.filter((e) => e.en.join() === e.zh.join() && fragments(e.en).size > 0).map((e) => e.key);
  assert.deepEqual(same.filter((k) => !kSameInBoth.includes(k)), [], "entries left in English in the Chinese tables");
  const zhText = [...fragments(all.flatMap((e) => e.zh))].join("\n");
  const english = [...fragments(all.flatMap((e) => e.en))].filter((f) => !zhText.includes(f)).sort((a, b) => b.length - a.length);
  const allowed = new Set(latinWords(zhText));
  console.log(`${Object.keys(tables).length} tables, ${all.length} entries, ${english.length} English strings checked; ` +
    `Latin words allowed in Chinese: ${[...allowed].sort().join(" ")}`);
  assert.ok(english.length > 300, `only ${english.length} English strings found`);
  return { english, allowed };
}

// In the page: every visible text node, and every placeholder, title,
// aria-label and alt of a visible element, with where it is; options of a
// visible <select> count as visible. Skipped: what is marked
// translate="no", in another language than the page's, <code>.
export function shownText() {
  const docLang = document.documentElement.lang;
  const skip = (el) => el.closest('[translate="no"], code, script, style') || el.closest("[lang]")?.lang !== docLang;
  const visible = (el) => (el.tagName === "OPTION" ? el.closest("select")?.checkVisibility() : el.checkVisibility({ checkVisibilityCSS: true }));
  const where = (el) => `${el.tagName.toLowerCase()}${el.className && typeof el.className === "string" ? `.${el.className.trim().split(/\s+/).join(".")}` : ""}`;
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    const text = n.textContent.trim();
    if (text && el && !skip(el) && visible(el)) out.push({ where: where(el), text });
  }
  for (const el of document.body.querySelectorAll("[placeholder], [title], [aria-label], [alt]")) {
    if (skip(el) || !visible(el)) continue;
    for (const a of ["placeholder", "title", "aria-label", "alt"]) {
      const v = el.getAttribute(a)?.trim();
      if (v) out.push({ where: `${where(el)}[${a}]`, text: v });
    }
  }
  return out;
}

// The items (shownText's) that show English: a string of `english` or a
// Latin word not `allowed` (englishChecks'), once URLs and `data` (names
// and ids: not the UI's words) are taken out.
export function untranslated(items, { english, allowed }, data = []) {
  const problems = [];
  const names = [...data].sort((a, b) => b.length - a.length);
  for (const { where, text } of items) {
    let s = text.replace(/https?:\/\/\S+/g, " ");
    for (const d of names) s = s.split(d).join(" ");
    const word = english.find((f) => new RegExp(`(^|[^A-Za-z])${f.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}([^A-Za-z]|$)`).test(s));
    if (word) problems.push(`${where}: "${text}" has the English "${word}"`);
    else for (const w of latinWords(s)) if (!allowed.has(w)) problems.push(`${where}: "${text}" has "${w}"`);
  }
  return problems;
}

