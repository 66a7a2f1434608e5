// The subject's portal: sign in (a demo persona, a pasted token, or one in the URL's
// fragment), then the subject's graph, report, inquiries, consents and rights, all from the
// public GraphQL API with the subject's own token.

import { Api } from "./api.js";
import { h } from "./dom.js";
import { apply, chosenLanguage, t, useLanguage } from "./i18n.js";
import { renderPanels } from "./panels.js";
import { follow } from "./live.js";
import { PORTAL } from "./queries.js";

const TOKEN = "creditgraph.portal.token";
const state = { api: null, me: null, panel: "graph", stopLive: null, picked: null };

function status(message, kind = "info") {
  const element = document.getElementById("status");
  element.textContent = message;
  element.dataset.kind = kind;
}

async function load() {
  const { me } = await state.api.run(PORTAL);
  if (!me) throw new Error(t("notSubject"));
  state.me = me;
  render();
}

function render() {
  const root = document.getElementById("portal");
  root.replaceChildren(...renderPanels(state, { reload, show, status }));
  apply(root);
}

function show(panel) {
  state.panel = panel;
  render();
  document.getElementById(`panel-${panel}`)?.focus();
}

// After a change the subject made (or the live channel announced): the whole graph again,
// so every panel shows what the API now says.
async function reload(message) {
  try {
    await load();
    if (message) status(message, "ok");
  } catch (error) {
    status(t("failed", { message: error.message }), "error");
  }
}

async function signIn(token) {
  state.api = new Api(token);
  status(t("loading"));
  try {
    await load();
  } catch (error) {
    state.api = null;
    status(t("signInFailed", { message: error.message }), "error");
    return;
  }
  sessionStorage.setItem(TOKEN, token);
  document.getElementById("sign-in").hidden = true;
  document.getElementById("portal").hidden = false;
  document.getElementById("sign-out").hidden = false;
  status(t("signedIn", { name: state.me.name }), "ok");
  state.stopLive = follow(token, (event) => reload(t(`live.${event.kind}`)));
  document.getElementById(`panel-${state.panel}`)?.focus();
}

function signOut() {
  state.stopLive?.();
  Object.assign(state, { api: null, me: null, stopLive: null, picked: null });
  sessionStorage.removeItem(TOKEN);
  document.getElementById("portal").replaceChildren();
  document.getElementById("portal").hidden = true;
  document.getElementById("sign-in").hidden = false;
  document.getElementById("sign-out").hidden = true;
  status(t("signedOut"));
}

async function offerPersonas() {
  if (document.body.dataset.demo !== "yes") return;
  const response = await fetch(new URL("../personas", import.meta.url), { cache: "no-store" });
  if (!response.ok) return;
  const personas = await response.json();
  const list = h(
    "ul",
    { class: "personas" },
    personas.map((persona) =>
      h(
        "li",
        {},
        h(
          "button",
          { type: "button", class: "persona", dataset: { persona: persona.key }, onclick: () => signIn(persona.token) },
          h("strong", {}, persona.name),
          h("span", {}, persona.story),
        ),
      ),
    ),
  );
  document.getElementById("personas").replaceChildren(h("h3", { "data-i18n": "pickPersona" }), list);
  apply(document.getElementById("personas"));
}

// A deployment's identity provider hands the token over in the fragment (`#token=…`), which
// no browser sends to a server; it is taken out of the address bar at once.
function tokenFromFragment() {
  const params = new URLSearchParams(location.hash.slice(1));
  const token = params.get("token");
  if (token) history.replaceState(null, "", location.pathname + location.search);
  return token;
}

async function start() {
  const picker = document.getElementById("language");
  const language = chosenLanguage();
  picker.value = language;
  await useLanguage(language);
  picker.addEventListener("change", async () => {
    await useLanguage(picker.value);
    if (state.me) render();
  });
  document.getElementById("sign-out").addEventListener("click", signOut);
  document.getElementById("token-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const token = document.getElementById("token").value.trim();
    if (token) signIn(token);
  });
  await offerPersonas();
  const token = tokenFromFragment() || sessionStorage.getItem(TOKEN);
  if (token) await signIn(token);
}

start();
