// The subject's graph as a picture, drawn with Cytoscape.js (vendored beside this module).
// Nodes are the records the SUBJECT edition returned; each keeps the record itself, which is
// what a click on it shows. The same nodes are listed as buttons for keyboard and screen
// reader users: the picture is one way in, never the only one.

import cytoscape from "./cytoscape.esm.min.js";
import { t, term } from "./i18n.js";

// Colours chosen for contrast against the white canvas and for the dark label text on them.
const STYLE = [
  {
    selector: "node",
    style: {
      label: "data(label)",
      "font-size": 11,
      color: "#111",
      "text-wrap": "wrap",
      "text-max-width": 120,
      "text-valign": "bottom",
      "text-margin-y": 4,
      "background-color": "data(colour)",
      "border-width": 1,
      "border-color": "#333",
      shape: "data(shape)",
      width: 28,
      height: 28,
    },
  },
  { selector: "node[kind = 'self']", style: { width: 46, height: 46, "font-weight": "bold" } },
  { selector: "node:selected", style: { "border-width": 4, "border-color": "#000" } },
  {
    selector: "edge",
    style: {
      label: "data(label)",
      "font-size": 9,
      color: "#222",
      "text-background-color": "#fff",
      "text-background-opacity": 1,
      width: 1.5,
      "line-color": "#666",
      "target-arrow-color": "#666",
      "target-arrow-shape": "triangle",
      "curve-style": "bezier",
    },
  },
  { selector: "edge[kind = 'circle']", style: { "line-color": "#b00020", "target-arrow-color": "#b00020", "line-style": "dashed" } },
];

const LOOK = {
  self: ["#ffd54f", "ellipse"],
  person: ["#90caf9", "ellipse"],
  organisation: ["#a5d6a7", "round-rectangle"],
  account: ["#e0e0e0", "rectangle"],
  guarantee: ["#ffab91", "diamond"],
  lender: ["#ce93d8", "hexagon"],
  court: ["#ef9a9a", "octagon"],
  agency: ["#80deea", "octagon"],
};

// Every node and edge of the subject's graph, from the Portal query's `me`.
export function elements(me) {
  const nodes = new Map();
  const edges = [];
  const node = (id, kind, label, record) => {
    if (!nodes.has(id)) nodes.set(id, { id, kind, label, record });
    return id;
  };
  const subject = (s) =>
    s.identifier === me.identifier
      ? centre
      : node(`subject:${s.identifier}`, s.kind === "ORGANISATION" ? "organisation" : "person", s.name, s);
  const edge = (source, target, kind, label) => {
    const id = `${kind}:${source}->${target}`;
    if (source !== target && !edges.some((e) => e.id === id)) edges.push({ id, source, target, kind, label });
  };
  const centre = node(`subject:${me.identifier}`, "self", me.name, me);

  if (me.spouse) edge(centre, subject(me.spouse), "spouse", t("graph.spouse"));
  for (const holding of me.accounts?.nodes ?? []) {
    const account = holding.account;
    const id = node(`account:${account.id}`, "account", `${term("kind", account.kind)}\n${account.lender.name}`, account);
    edge(centre, id, "holds", term("role", holding.role));
    edge(id, node(`lender:${account.lender.code}`, "lender", account.lender.name, account.lender), "lender", t("graph.lender"));
    for (const party of account.parties) {
      if (party.subject.identifier !== me.identifier) edge(subject(party.subject), id, "party", term("role", party.role));
    }
    for (const guarantee of account.guarantees ?? []) {
      const g = node(`guarantee:${guarantee.id}`, "guarantee", t("graph.guaranteeOf", { amount: guarantee.amount }), guarantee);
      edge(subject(guarantee.guarantor), g, "gives", t("graph.guarantor"));
      edge(g, id, "covers", t("graph.covers"));
    }
  }
  for (const guarantee of me.guaranteesGiven ?? []) {
    const g = node(`guarantee:${guarantee.id}`, "guarantee", t("graph.guaranteeOf", { amount: guarantee.amount }), guarantee);
    edge(centre, g, "gives", t("graph.guarantor"));
    edge(g, subject(guarantee.borrower), "covers", t("graph.covers"));
  }
  for (const link of me.guaranteeExposure?.links ?? []) {
    edge(subject(link.guarantor), subject(link.borrower), "chain", t("graph.chainLink", { depth: link.depth }));
  }
  for (const circle of me.guaranteeExposure?.circles ?? []) {
    const members = circle.members.map(subject);
    members.forEach((member, index) => edge(member, members[(index + 1) % members.length], "circle", t("graph.circle")));
  }
  for (const role of me.principalRoles ?? []) {
    edge(centre, subject(role.organisation), "represents", term("principal", role.role));
  }
  for (const job of me.employments ?? []) {
    if (job.employer) edge(centre, subject(job.employer), "employed", t("graph.employedBy"));
  }
  const authority = (code, name, kind, record, recordKind) => {
    const id = node(`${kind}:${code}`, kind, name, { code, name });
    const r = node(`record:${record.id}`, "account", `${t(`record.${recordKind}`)}`, record);
    edge(id, r, "record", t("graph.recorded"));
    edge(r, centre, "about", t("graph.about"));
  };
  for (const c of me.enforcementCases?.nodes ?? []) authority(c.courtCode, c.courtName, "court", c, "EnforcementCase");
  for (const c of me.dishonestListings ?? []) authority(c.courtCode, c.courtName, "court", c, "DishonestListing");
  for (const c of me.consumptionRestrictions ?? []) authority(c.courtCode, c.courtName, "court", c, "ConsumptionRestriction");
  for (const a of me.administrativeActions ?? []) authority(a.authorityCode, a.authorityName, "agency", a, "AdministrativeAction");
  for (const a of me.taxArrears ?? []) authority(a.authorityCode, a.authorityName, "agency", a, "TaxArrear");
  for (const a of me.listEntries ?? []) authority(a.authorityCode, a.authorityName, "agency", a, "ListEntry");

  return {
    nodes: [...nodes.values()].map((n) => {
      const [colour, shape] = LOOK[n.kind];
      return { group: "nodes", data: { ...n, colour, shape } };
    }),
    edges: edges.map((e) => ({ group: "edges", data: e })),
  };
}

// Draws `me`'s graph in `container`; `onPick(node)` gets each node clicked or tapped.
export function draw(container, me, onPick) {
  const { nodes, edges } = elements(me);
  const centre = `subject:${me.identifier}`;
  const cy = cytoscape({
    container,
    elements: [...nodes, ...edges],
    style: STYLE,
    layout: {
      name: "concentric",
      concentric: (n) => (n.id() === centre ? 10 : n.data("kind") === "account" || n.data("kind") === "guarantee" ? 6 : 3),
      levelWidth: () => 1,
      minNodeSpacing: 30,
      animate: false,
    },
  });
  cy.on("tap", "node", (event) => onPick(event.target.data()));
  return { cy, nodes: nodes.map((n) => n.data) };
}
