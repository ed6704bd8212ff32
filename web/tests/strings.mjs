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

// The fixed text of a table's strings: a string as it is; a function's
// text around its arguments, called with a stand-in that reads as a
// marker in text (and as any property of itself), then with "", 1 and null
// for the other branches. Fragments keep at least one Latin word.
const MARK = "\u0001";
const standIn = new Proxy(function () {}, {
  get: (_, key) => (key === Symbol.toPrimitive ? () => MARK : standIn),
  apply: () => standIn,
});
function fragments(table) {
  const out = new Set();
  const add = (s) => {
    for (const f of String(s).split(new RegExp(`${MARK}|undefined|NaN|null|\\d+`))) {
      const t = f.replace(/\s+/g, " ").trim();
      if (/[A-Za-z]{2,}/.test(t)) out.add(t);
    }
  };
  const walk = (v) => {
    if (typeof v === "string") add(v);
    else if (typeof v === "function") {
      for (const arg of [standIn, "", 1, null]) {
        try {
          add(v(...Array(Math.max(v.length, 1)).fill(arg)));
        } catch {
          // an argument of another type: the other calls cover it
        }
      }
    } else if (v && typeof v === "object") Object.values(v).forEach(walk);
  };
  walk(table);
  return out;
}

const latinWords = (s) => s.match(/[A-Za-z]{2,}/g) ?? [];

// What the Chinese UI may not show: each English fragment the Chinese
// tables do not also use, and the Latin words they do use.
export async function englishChecks() {
  const tables = await stringTables();
  const en = new Set();
  const zh = new Set();
  for (const t of Object.values(tables)) {
    fragments(t.en).forEach((f) => en.add(f));
    fragments(t.zh).forEach((f) => zh.add(f));
  }
  const zhText = [...zh].join("\n");
  const english = [...en].filter((f) => !zhText.includes(f)).sort((a, b) => b.length - a.length);
  const allowed = new Set(latinWords(zhText));
  console.log(`${Object.keys(tables).length} tables, ${english.length} English strings checked, Latin words allowed in Chinese: ${[...allowed].sort().join(" ")}`);
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

