// The portal's panels, each built from the one Portal answer (`state.me`).

import { ApiError } from "./api.js";
import { field, h, recordList, select } from "./dom.js";
import { draw } from "./graph.js";
import { language, t, term } from "./i18n.js";
import * as Q from "./queries.js";

const PANELS = ["graph", "report", "inquiries", "consents", "rights", "eligibility"];

export function renderPanels(state, actions) {
  const nav = h(
    "nav",
    { "aria-label": t("nav.label") },
    h(
      "ul",
      {},
      PANELS.map((name) =>
        h(
          "li",
          {},
          h(
            "button",
            {
              type: "button",
              "aria-current": state.panel === name ? "page" : false,
              "aria-controls": `panel-${name}`,
              dataset: { panel: name },
              onclick: () => actions.show(name),
            },
            t(`nav.${name}`),
          ),
        ),
      ),
    ),
  );
  const builders = { graph, report, inquiries, consents, rights, eligibility };
  const panel = h(
    "section",
    { id: `panel-${state.panel}`, tabindex: "-1", "aria-labelledby": `title-${state.panel}` },
    h("h2", { id: `title-${state.panel}` }, t(`nav.${state.panel}`)),
    builders[state.panel](state, actions),
  );
  const who = h("p", { class: "who" }, t("youAre", { name: state.me.name, identifier: state.me.identifier }));
  return [who, nav, panel];
}

// A write through the API: the answer's message on success, the refusal's code and words else.
async function write(actions, state, query, variables, done) {
  try {
    await state.api.run(query, variables);
    await actions.reload(done);
  } catch (error) {
    const code = error instanceof ApiError ? error.code : "ERROR";
    actions.status(t("refused", { code, message: error.message }), "error");
  }
}

const date = (value) => (value ? String(value).slice(0, 10) : "—");
const money = (value, currency = "CNY") => (value === null || value === undefined ? "—" : `${currency} ${Number(value).toLocaleString()}`);

function table(caption, headers, rows) {
  if (!rows.length) return h("p", { class: "empty" }, t("none", { what: caption }));
  return h(
    "table",
    {},
    h("caption", {}, caption),
    h("thead", {}, h("tr", {}, headers.map((text) => h("th", { scope: "col" }, text)))),
    h("tbody", {}, rows.map((cells) => h("tr", {}, cells.map((cell) => h("td", {}, cell))))),
  );
}

function mark(record) {
  if (!record.dispute) return null;
  return h("span", { class: "mark" }, t("disputed", { status: term("disputeStatus", record.dispute.status), by: date(record.dispute.respondBy) }));
}

// ---- the graph --------------------------------------------------------------------------

function graph(state, actions) {
  const canvas = h("div", { id: "graph", role: "img", "aria-label": t("graph.picture", { name: state.me.name }) });
  const details = h("div", { id: "node-record", "aria-live": "polite" }, h("p", {}, t("graph.pick")));
  const legend = h(
    "ul",
    { class: "legend" },
    ["self", "person", "organisation", "account", "guarantee", "lender", "court", "agency"].map((kind) =>
      h("li", { dataset: { kind } }, t(`graph.kind.${kind}`)),
    ),
  );
  const pick = (node) => {
    state.picked = node.id;
    details.replaceChildren(h("h3", {}, `${t(`graph.kind.${node.kind}`)}: ${node.label.replace("\n", " · ")}`), recordList(node.record));
    for (const button of list.querySelectorAll("button")) button.setAttribute("aria-pressed", String(button.dataset.node === node.id));
  };
  const list = h("ul", { class: "node-list", "aria-label": t("graph.nodes") });
  // Cytoscape measures its container: drawn on the next frame, once the panel is in place.
  requestAnimationFrame(() => {
    const { cy, nodes } = draw(canvas, state.me, (node) => {
      pick(node);
    });
    list.replaceChildren(
      ...nodes.map((node) =>
        h(
          "li",
          {},
          h(
            "button",
            {
              type: "button",
              "aria-pressed": "false",
              dataset: { node: node.id, kind: node.kind },
              onclick: () => {
                cy.$(":selected").unselect();
                cy.getElementById(node.id).select();
                pick(node);
              },
            },
            `${t(`graph.kind.${node.kind}`)}: ${node.label.replace("\n", " · ")}`,
          ),
        ),
      ),
    );
  });
  return h("div", { class: "graph-panel" }, h("div", {}, canvas, legend), h("div", {}, details, h("h3", {}, t("graph.nodes")), list));
}

// ---- the report -------------------------------------------------------------------------

function grid(account) {
  const g = account.repaymentGrid;
  if (!g) return "—";
  return h(
    "span",
    { class: "grid", role: "img", "aria-label": t("report.gridLabel", { months: g.months, latest: date(g.latestMonth), statuses: g.statuses }) },
    [...g.statuses].map((symbol) => h("span", { class: "cell", dataset: { symbol: /[1-7]/.test(symbol) ? "late" : symbol === "N" ? "ok" : "other" } }, symbol)),
  );
}

function check(name, value) {
  return h(
    "li",
    { class: value.passed ? "pass" : "fail" },
    h("strong", {}, `${t(`fourNots.${name}`)}: ${value.passed ? t("passed") : t("notPassed")}`),
    h("span", {}, " ", t(`fourNots.${name}.why`)),
    value.reasons.length ? h("ul", {}, value.reasons.map((reason) => h("li", {}, reason))) : null,
  );
}

// A score built from several dimensions (the city score's five): each with its points out of
// its most and the factors that cost it points, with their reason codes.
function dimensions(score) {
  const list = score.dimensions ?? [];
  if (!list.length) return null;
  return h(
    "div",
    { class: "dimensions" },
    table(
      t("score.dimensions"),
      [t("score.dimension"), t("score.points"), t("score.reasons")],
      list.map((d) => [
        `${term("dimension", d.code)} (${d.name})`,
        t("score.outOf", { value: d.value, points: d.points }),
        d.reasons.length
          ? h("ul", {}, d.reasons.map((r) => h("li", {}, h("code", {}, r.code), ` ${r.description} (${r.impact})`)))
          : t("score.fullMarks"),
      ]),
    ),
  );
}

function report(state) {
  const me = state.me;
  const s = me.creditSummary;
  const accounts = table(
    t("report.accounts"),
    [t("report.kind"), t("report.lender"), t("report.role"), t("report.status"), t("report.balance"), t("report.grid")],
    (me.accounts?.nodes ?? []).map(({ role, joint, account }) => [
      h("span", {}, term("kind", account.kind), " ", mark(account)),
      account.lender.name,
      `${term("role", role)}${joint ? ` · ${t("report.joint")}` : ""}`,
      term("accountStatus", account.status),
      money(account.balance, account.currency),
      grid(account),
    ]),
  );
  const legend = h("p", { class: "hint" }, t("report.gridLegend"));
  const signals = s
    ? h(
        "div",
        { class: "signals" },
        h("h3", {}, t("report.signals")),
        h(
          "ul",
          {},
          h(
            "li",
            { class: s.seriousDelinquency ? "fail" : "pass" },
            h("strong", {}, `${t("signal.serious")}: ${s.seriousDelinquency ? t("yes") : t("no")}`),
            " ",
            t("signal.serious.why", { run: s.longestOverdueRun24m, months: s.overdueMonths24m, accounts: s.seriousDelinquencyAccounts }),
          ),
          h("li", { class: s.currentOverdueAccounts ? "fail" : "pass" }, t("signal.overdue", { count: s.currentOverdueAccounts, amount: money(s.currentOverdueAmount) })),
          h("li", { class: s.badDebt ? "fail" : "pass" }, t(s.badDebt ? "signal.badDebt" : "signal.noBadDebt")),
          h("li", { class: s.utilisationLevel === "NORMAL" ? "pass" : "fail" }, t("signal.utilisation", { level: term("utilisation", s.utilisationLevel), value: s.utilisation === null ? "—" : `${Math.round(s.utilisation * 100)}%` })),
          h("li", { class: s.hardInquiryWarning ? "fail" : "pass" }, t("signal.inquiries", { count: s.hardInquiries6m })),
          h("li", {}, t("signal.guarantees", { count: s.guaranteesGiven, amount: money(s.guaranteedAmount) })),
        ),
        h("h3", {}, `${t("fourNots")}: ${s.fourNots.passed ? t("passed") : t("notPassed")}`),
        h("p", { class: "hint" }, t("fourNots.why")),
        h("ul", {}, ["notBlack", "notWhite", "notTooMany", "notMessy"].map((name) => check(name, s.fourNots[name]))),
      )
    : null;
  const scores = h(
    "div",
    {},
    h("h3", {}, t("report.scores")),
    (me.scores ?? []).map((score) =>
      h(
        "article",
        { class: "score" },
        h("h4", {}, `${score.model.providerName} · ${score.model.name}: ${score.value} (${term("band", score.band)})`),
        h("p", {}, t("score.scale", { min: score.model.min, max: score.model.max, when: date(score.observedAt) }), " ", score.model.description),
        h("p", {}, t("score.bands"), " ", score.model.bands.map((b) => `${term("band", b.name)} ${b.lower}–${b.upper}`).join(" · ")),
        table(
          t("score.reasons"),
          [t("score.rank"), t("score.code"), t("score.reason"), t("score.impact")],
          score.reasons.map((r) => [String(r.rank), r.code, r.description, String(r.impact)]),
        ),
        dimensions(score),
      ),
    ),
  );
  const records = h(
    "div",
    {},
    h("h3", {}, t("report.public")),
    table(
      t("record.EnforcementCase"),
      [t("record.case"), t("record.court"), t("record.filed"), t("report.balance"), t("report.status")],
      (me.enforcementCases?.nodes ?? []).map((c) => [h("span", {}, c.caseNumber, " ", mark(c)), c.courtName, date(c.filedOn), money(c.amount, c.currency), c.status]),
    ),
    table(
      t("record.DishonestListing"),
      [t("record.case"), t("record.court"), t("record.published"), t("record.active")],
      (me.dishonestListings ?? []).map((c) => [h("span", {}, c.caseNumber, " ", mark(c)), c.courtName, date(c.publishedOn), c.active ? t("yes") : t("no")]),
    ),
    table(
      t("record.ConsumptionRestriction"),
      [t("record.case"), t("record.court"), t("record.issued"), t("record.active")],
      (me.consumptionRestrictions ?? []).map((c) => [h("span", {}, c.caseNumber, " ", mark(c)), c.courtName, date(c.issuedOn), c.active ? t("yes") : t("no")]),
    ),
    table(
      t("record.AdministrativeAction"),
      [t("record.authority"), t("record.decision"), t("record.decided"), t("record.publishUntil")],
      (me.administrativeActions ?? []).map((a) => [a.authorityName, h("span", {}, a.description, " ", mark(a)), date(a.decidedOn), date(a.publishUntil)]),
    ),
    table(
      t("record.TaxArrear"),
      [t("record.authority"), t("record.tax"), t("report.balance"), t("record.settled")],
      (me.taxArrears ?? []).map((a) => [a.authorityName, h("span", {}, a.taxType, " ", mark(a)), money(a.amount), a.settled ? t("yes") : t("no")]),
    ),
    table(
      t("record.ListEntry"),
      [t("record.list"), t("record.authority"), t("record.notice"), t("record.objection"), t("report.status")],
      (me.listEntries ?? []).map((e) => [
        h("span", {}, `${term("colour", e.colour)} · ${e.listName}`, " ", mark(e)),
        e.authorityName,
        t("record.noticePeriod", { from: date(e.noticeStartsOn), to: date(e.noticeEndsOn) }),
        e.objectionFiledOn
          ? t("record.objectionFiled", { on: date(e.objectionFiledOn), outcome: e.objectionOutcome ?? t("record.pending") })
          : e.colour === "BLACK" ? t("record.objectionRight", { until: date(e.noticeEndsOn) }) : "—",
        e.state,
      ]),
    ),
  );
  const own = h(
    "div",
    {},
    h("h3", {}, t("report.statements")),
    table(t("report.statements"), [t("rights.text"), t("rights.added")], (me.statements ?? []).map((s) => [s.text, date(s.addedAt)])),
    h("h3", {}, t("report.alerts")),
    table(
      t("report.alerts"),
      [t("rights.phone"), t("rights.note"), t("rights.expires"), t("record.active")],
      (me.fraudAlerts ?? []).map((a) => [a.contactPhone, a.note ?? "—", date(a.expiresAt), a.active ? t("yes") : t("no")]),
    ),
  );
  return h("div", {}, accounts, legend, signals, scores, records, own);
}

// ---- who looked -------------------------------------------------------------------------

function inquiries(state) {
  const list = state.me.inquiries?.nodes ?? [];
  if (!list.length) return h("p", { class: "empty" }, t("inquiries.none"));
  return h(
    "ol",
    { class: "timeline" },
    list.map((q) =>
      h(
        "li",
        { class: q.hard ? "hard" : "soft", dataset: { purpose: q.purpose } },
        h("time", { datetime: q.inquiredAt }, String(q.inquiredAt).replace("T", " ").slice(0, 16)),
        h("strong", {}, q.requesterName),
        h("span", {}, ` (${q.requesterCode}${q.operator ? ` · ${q.operator}` : ""})`),
        h(
          "p",
          {},
          q.purpose === "ELIGIBILITY"
            ? t("inquiries.answered", { id: q.answerId ?? "—" })
            : t("inquiries.line", {
                purpose: term("purpose", q.purpose),
                edition: term("edition", q.edition),
                grant: q.grantId ? t("inquiries.grant", { id: q.grantId }) : t("inquiries.noGrant"),
                kind: q.hard ? t("inquiries.hard") : t("inquiries.soft"),
                counted: q.counted ? t("inquiries.counted") : t("inquiries.notCounted"),
              }),
        ),
      ),
    ),
  );
}

// ---- consents ---------------------------------------------------------------------------

const PURPOSES = ["LOAN_APPROVAL", "CREDIT_CARD_APPROVAL", "GUARANTEE_CHECK", "POST_LOAN_MANAGEMENT", "CORPORATE_PRINCIPAL_CHECK"];

// Institutions the subject's own data names: lenders, inquirers and grantees.
function knownInstitutions(me) {
  const found = new Map();
  for (const { account } of me.accounts?.nodes ?? []) found.set(account.lender.code, account.lender.name);
  for (const q of me.inquiries?.nodes ?? []) if (q.requesterRole !== "SUBJECT") found.set(q.requesterCode, q.requesterName);
  for (const g of me.consentGrants ?? []) found.set(g.granteeCode, g.granteeName);
  return found;
}

function consents(state, actions) {
  const me = state.me;
  const grants = me.consentGrants ?? [];
  const rows = grants.map((g) => {
    const buttons = [];
    if (g.state === "ACTIVE")
      buttons.push(h("button", { type: "button", dataset: { revoke: g.id }, onclick: () => write(actions, state, Q.REVOKE_CONSENT, { id: g.id }, t("consents.revoked")) }, t("consents.revoke")));
    if (g.state === "PENDING") {
      buttons.push(h("button", { type: "button", dataset: { confirm: g.id }, onclick: () => write(actions, state, Q.CONFIRM, { id: g.id }, t("consents.confirmed")) }, t("consents.confirm")));
      buttons.push(h("button", { type: "button", dataset: { refuse: g.id }, onclick: () => write(actions, state, Q.REFUSE, { id: g.id }, t("consents.refused")) }, t("consents.refuse")));
    }
    return [
      h("span", {}, g.granteeName, h("br"), h("small", {}, g.granteeCode)),
      term("purpose", g.purpose),
      term("edition", g.edition),
      `${date(g.validFrom)} – ${date(g.validUntil)}`,
      h("span", { class: `state state-${g.state}` }, term("state", g.state)),
      g.recordedVia === "GRANTEE" ? t("consents.viaBank", { evidence: g.evidence ?? "" }) : t("consents.viaYou"),
      h("span", { class: "actions" }, buttons),
    ];
  });
  const institutions = knownInstitutions(me);
  const grantee = h("input", { name: "grantee", required: true, list: "institutions", autocomplete: "off", pattern: "[0-9A-HJ-NPQRTUWXY]{18}" });
  const purpose = select("purpose", PURPOSES.map((p) => [p, term("purpose", p)]));
  const edition = select("edition", ["BANK", "SOCIAL"].map((e) => [e, term("edition", e)]));
  const until = h("input", { name: "validUntil", type: "date" });
  const form = h(
    "form",
    {
      id: "grant-form",
      onsubmit: (event) => {
        event.preventDefault();
        const variables = { grantee: grantee.value.trim(), purpose: purpose.value, edition: edition.value };
        if (until.value) variables.validUntil = `${until.value}T00:00:00+08:00`;
        write(actions, state, Q.GRANT_CONSENT, variables, t("consents.granted"));
      },
    },
    h("h3", {}, t("consents.grant")),
    field(t("consents.institution"), grantee),
    h("datalist", { id: "institutions" }, [...institutions].map(([code, name]) => h("option", { value: code }, name))),
    field(t("consents.purpose"), purpose),
    field(t("consents.edition"), edition),
    field(t("consents.validUntil"), until),
    h("p", { class: "hint" }, t("consents.validHint")),
    h("button", { type: "submit" }, t("consents.grantButton")),
  );
  return h(
    "div",
    {},
    table(t("consents.list"), [t("consents.institution"), t("consents.purpose"), t("consents.edition"), t("consents.validity"), t("consents.state"), t("consents.recorded"), ""], rows),
    form,
  );
}

// ---- rights -----------------------------------------------------------------------------

// Every record on the subject's report they may dispute, as fileDispute names it (Type:id).
function disputable(me) {
  const records = [];
  const add = (type, record, label) => records.push([`${type}:${record.id}`, `${t(`record.${type}`)} · ${label}`]);
  for (const { account } of me.accounts?.nodes ?? []) add("CreditAccount", account, `${term("kind", account.kind)} · ${account.lender.name}`);
  for (const g of me.guaranteesGiven ?? []) add("Guarantee", g, `${g.contractNumber} · ${g.borrower.name}`);
  for (const m of me.marriages ?? []) add("Marriage", m, m.partner.name);
  for (const e of me.employments ?? []) add("Employment", e, e.employerName);
  for (const c of me.enforcementCases?.nodes ?? []) add("EnforcementCase", c, c.caseNumber);
  for (const c of me.dishonestListings ?? []) add("DishonestListing", c, c.caseNumber);
  for (const c of me.consumptionRestrictions ?? []) add("ConsumptionRestriction", c, c.caseNumber);
  for (const a of me.administrativeActions ?? []) add("AdministrativeAction", a, a.decisionNumber);
  for (const a of me.taxArrears ?? []) add("TaxArrear", a, `${a.taxType} · ${a.authorityName}`);
  for (const e of me.listEntries ?? []) add("ListEntry", e, e.listName);
  for (const q of me.inquiries?.nodes ?? []) if (q.requesterRole !== "SUBJECT") add("Inquiry", q, `${q.requesterName} · ${date(q.inquiredAt)}`);
  return records;
}

function rights(state, actions) {
  const me = state.me;
  const disputes = table(
    t("rights.disputes"),
    [t("rights.record"), t("rights.reason"), t("rights.filed"), t("rights.respondBy"), t("report.status"), t("rights.answer")],
    (me.disputes ?? []).map((d) => [
      d.recordId,
      d.reason ?? "—",
      date(d.filedAt),
      d.respondBy,
      term("disputeStatus", d.status),
      d.outcome ? `${term("outcome", d.outcome)}: ${d.resolution ?? ""}` : t("rights.awaiting"),
    ]),
  );
  const record = select("recordId", disputable(me));
  const reason = h("textarea", { name: "reason", rows: 2, required: true, maxlength: 2000 });
  const disputeForm = h(
    "form",
    {
      id: "dispute-form",
      onsubmit: (event) => {
        event.preventDefault();
        write(actions, state, Q.FILE_DISPUTE, { recordId: record.value, reason: reason.value }, t("rights.filedOk"));
      },
    },
    h("h3", {}, t("rights.fileDispute")),
    h("p", { class: "hint" }, t("rights.disputeHint")),
    field(t("rights.record"), record),
    field(t("rights.reason"), reason),
    h("button", { type: "submit" }, t("rights.fileButton")),
  );
  const text = h("textarea", { name: "text", rows: 2, required: true });
  const statementForm = h(
    "form",
    {
      id: "statement-form",
      onsubmit: (event) => {
        event.preventDefault();
        write(actions, state, Q.ADD_STATEMENT, { text: text.value }, t("rights.statementOk"));
      },
    },
    h("h3", {}, t("rights.addStatement")),
    field(t("rights.text"), text),
    h("button", { type: "submit" }, t("rights.addButton")),
  );
  const active = (me.fraudAlerts ?? []).find((a) => a.active);
  const phone = h("input", { name: "contactPhone", type: "tel", required: true, autocomplete: "tel" });
  const note = h("input", { name: "note" });
  const alertPart = active
    ? h(
        "div",
        {},
        h("h3", {}, t("rights.alert")),
        h("p", {}, t("rights.alertActive", { phone: active.contactPhone, until: date(active.expiresAt) })),
        h("button", { type: "button", id: "lift-alert", onclick: () => write(actions, state, Q.LIFT_ALERT, { id: active.id }, t("rights.liftedOk")) }, t("rights.lift")),
      )
    : h(
        "form",
        {
          id: "alert-form",
          onsubmit: (event) => {
            event.preventDefault();
            write(actions, state, Q.PLACE_ALERT, { contactPhone: phone.value, note: note.value || null }, t("rights.placedOk"));
          },
        },
        h("h3", {}, t("rights.alert")),
        h("p", { class: "hint" }, t("rights.alertHint")),
        field(t("rights.phone"), phone),
        field(t("rights.note"), note),
        h("button", { type: "submit" }, t("rights.place")),
      );
  return h("div", {}, disputes, disputeForm, statementForm, alertPart);
}

// ---- yes/no answers ---------------------------------------------------------------------

// A predicate's or purpose's words in the portal's language, from the catalogue the API serves.
function words(list, code) {
  const found = (list ?? []).find((item) => item.code === code);
  return found ? found[language()] ?? found.en : code;
}

function eligibility(state, actions) {
  const me = state.me;
  const known = me.eligibilityCatalogue ?? { predicates: [], purposes: [] };
  const question = (code) => words(known.predicates, code);
  const purposeOf = (code) => words(known.purposes, code);
  const shares = table(
    t("eligibility.shares"),
    [t("eligibility.question"), t("consents.institution"), t("eligibility.purpose"), t("consents.validity"), t("consents.state"), ""],
    (me.eligibilityShares ?? []).map((s) => [
      question(s.predicate),
      h("span", {}, s.requesterName, h("br"), h("small", {}, s.requesterCode)),
      purposeOf(s.purpose),
      `${date(s.validFrom)} – ${date(s.validUntil)}`,
      h("span", { class: `state state-${s.state}` }, term("shareState", s.state)),
      s.state === "ACTIVE"
        ? h(
            "button",
            { type: "button", dataset: { withdraw: s.id }, onclick: () => write(actions, state, Q.WITHDRAW_ELIGIBILITY, { id: s.id }, t("eligibility.withdrawn")) },
            t("eligibility.withdraw"),
          )
        : "",
    ]),
  );
  const institutions = knownInstitutions(me);
  const requester = h("input", { name: "requester", required: true, list: "eligibility-institutions", autocomplete: "off", pattern: "[0-9A-HJ-NPQRTUWXY]{18}" });
  const predicate = select("predicate", known.predicates.map((p) => [p.code, question(p.code)]));
  const purpose = select("purpose", known.purposes.map((p) => [p.code, purposeOf(p.code)]));
  const until = h("input", { name: "validUntil", type: "date" });
  const form = h(
    "form",
    {
      id: "share-form",
      onsubmit: (event) => {
        event.preventDefault();
        const variables = { requester: requester.value.trim(), predicate: predicate.value, purpose: purpose.value };
        if (until.value) variables.validUntil = `${until.value}T00:00:00+08:00`;
        write(actions, state, Q.SHARE_ELIGIBILITY, variables, t("eligibility.shared"));
      },
    },
    h("h3", {}, t("eligibility.share")),
    field(t("eligibility.requester"), requester),
    h("datalist", { id: "eligibility-institutions" }, [...institutions].map(([code, name]) => h("option", { value: code }, name))),
    field(t("eligibility.question"), predicate),
    field(t("eligibility.purpose"), purpose),
    field(t("consents.validUntil"), until),
    h("p", { class: "hint" }, t("consents.validHint")),
    h("button", { type: "submit" }, t("eligibility.shareButton")),
  );
  const answers = table(
    t("eligibility.answers"),
    [t("eligibility.when"), t("consents.institution"), t("eligibility.question"), t("eligibility.purpose"), t("eligibility.answer"), t("eligibility.answerId")],
    (me.eligibilityAnswers ?? []).map((a) => [
      h("time", { datetime: a.answeredAt }, String(a.answeredAt).replace("T", " ").slice(0, 16)),
      h("span", {}, a.requesterName, a.operator ? ` · ${a.operator}` : ""),
      question(a.predicate),
      purposeOf(a.purpose),
      h("strong", { class: a.holds ? "pass" : "fail" }, a.holds ? t("yes") : t("no")),
      h("code", {}, a.id),
    ]),
  );
  return h("div", {}, h("p", {}, t("eligibility.intro")), h("p", { class: "hint" }, t("eligibility.how")), shares, form, answers);
}
