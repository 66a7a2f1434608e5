// The string catalogues: every word the portal shows is in strings.<language>.json, one
// catalogue per language, loaded from beside this module. Elements name their string in
// data-i18n (text) or data-i18n-label (aria-label); code asks with t(key, {param}).

const LANGUAGES = ["en", "zh"];
const STORE = "creditgraph.portal.language";
let strings = {};
let current = "en";

export function chosenLanguage() {
  const stored = localStorage.getItem(STORE);
  if (LANGUAGES.includes(stored)) return stored;
  return (navigator.language || "").toLowerCase().startsWith("zh") ? "zh" : "en";
}

export async function useLanguage(language) {
  const url = new URL(`strings.${language}.json`, import.meta.url);
  const response = await fetch(url);
  if (!response.ok) throw new Error(`no strings for ${language}`);
  strings = await response.json();
  current = language;
  localStorage.setItem(STORE, language);
  document.documentElement.lang = language === "zh" ? "zh-CN" : "en";
  apply(document);
}

export function language() {
  return current;
}

export function t(key, params = {}) {
  const text = Object.hasOwn(strings, key) ? strings[key] : key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in params ? String(params[name]) : `{${name}}`));
}

// An enum value's words (purpose, edition, state…), or the value itself when none is known.
export function term(group, value) {
  const key = `${group}.${value}`;
  return Object.hasOwn(strings, key) ? strings[key] : String(value);
}

export function apply(root) {
  for (const element of root.querySelectorAll("[data-i18n]")) {
    element.textContent = t(element.dataset.i18n);
  }
  for (const element of root.querySelectorAll("[data-i18n-label]")) {
    element.setAttribute("aria-label", t(element.dataset.i18nLabel));
  }
}
