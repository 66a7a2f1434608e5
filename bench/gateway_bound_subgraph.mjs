// One of the four subgraphs of bench/gateway_bound.py: the classic accounts / products /
// inventory / reviews shapes of the public federation gateway benchmarks, built with
// @apollo/subgraph and answering from memory, so that what a gateway in front of them
// is measured on is the gateway's own work, not theirs.
//
// Usage: node gateway_bound_subgraph.mjs --name NAME --port P [--host H]
//   NAME is accounts, products, inventory or reviews. It serves
//     POST /graphql  GraphQL over HTTP (application/json), `_service` and `_entities` included
//     GET  /healthz  200 "ok"
//   and prints "NAME subgraph at http://H:P/graphql" on stdout when ready.
//
// A document is parsed and validated once and kept (the gateways send the same few
// documents over and over), so a request costs one execution over the in-memory data.
import http from "node:http";
import { parseArgs } from "node:util";

import { buildSubgraphSchema } from "@apollo/subgraph";
import { execute, parse, validate } from "graphql";

const USERS = Array.from({ length: 4 }, (_, i) => ({
  id: String(i + 1),
  name: `User ${i + 1}`,
  username: `user${i + 1}`,
}));
const PRODUCTS = Array.from({ length: 5 }, (_, i) => ({
  upc: String(i + 1),
  name: `Product ${i + 1}`,
  price: 100 * (i + 1) + 99,
  weight: 10 * (i + 1) + 5,
}));
// two reviews of every product, by different users: each user wrote two or three
const REVIEWS = PRODUCTS.flatMap((product, p) =>
  [0, 1].map((k) => ({
    id: String(2 * p + k + 1),
    body: `Review ${k + 1} of product ${product.upc}`,
    authorId: USERS[(2 * p + k) % USERS.length].id,
    upc: product.upc,
  })),
);
const IN_STOCK = new Set(["1", "2", "4"]);

const byId = (rows, key) => new Map(rows.map((row) => [row[key], row]));
const usersById = byId(USERS, "id");
const productsByUpc = byId(PRODUCTS, "upc");
const reviewsById = byId(REVIEWS, "id");

const LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3"';

const SUBGRAPHS = {
  accounts: {
    typeDefs: `${LINK}, import: ["@key"])
      type Query { me: User  users: [User]  user(id: ID!): User }
      type User @key(fields: "id") { id: ID!  name: String  username: String }`,
    resolvers: {
      Query: {
        me: () => USERS[0],
        users: () => USERS,
        user: (_, { id }) => usersById.get(id) ?? null,
      },
      User: { __resolveReference: ({ id }) => usersById.get(id) ?? null },
    },
  },
  products: {
    typeDefs: `${LINK}, import: ["@key"])
      type Query { topProducts(first: Int = 5): [Product] }
      type Product @key(fields: "upc") { upc: String!  name: String  price: Int  weight: Int }`,
    resolvers: {
      Query: { topProducts: (_, { first }) => PRODUCTS.slice(0, first) },
      Product: { __resolveReference: ({ upc }) => productsByUpc.get(upc) ?? null },
    },
  },
  inventory: {
    typeDefs: `${LINK}, import: ["@key", "@external", "@requires"])
      type Product @key(fields: "upc") {
        upc: String!
        weight: Int @external
        price: Int @external
        inStock: Boolean
        shippingEstimate: Int @requires(fields: "price weight")
      }`,
    resolvers: {
      Product: {
        __resolveReference: (reference) => ({ ...reference, inStock: IN_STOCK.has(reference.upc) }),
        // free above 1000, else half the weight
        shippingEstimate: ({ price, weight }) => (price > 1000 ? 0 : Math.round(weight * 0.5)),
      },
    },
  },
  reviews: {
    typeDefs: `${LINK}, import: ["@key"])
      type Review @key(fields: "id") { id: ID!  body: String  author: User  product: Product }
      type User @key(fields: "id") { id: ID!  reviews: [Review] }
      type Product @key(fields: "upc") { upc: String!  reviews: [Review] }`,
    resolvers: {
      Review: {
        __resolveReference: ({ id }) => reviewsById.get(id) ?? null,
        author: (review) => ({ id: review.authorId }),
        product: (review) => ({ upc: review.upc }),
      },
      User: { reviews: ({ id }) => REVIEWS.filter((review) => review.authorId === id) },
      Product: { reviews: ({ upc }) => REVIEWS.filter((review) => review.upc === upc) },
    },
  },
};

function fail(message) {
  process.stderr.write(`error: ${message}\n`);
  process.exit(2);
}

const { values } = parseArgs({
  options: {
    name: { type: "string" },
    port: { type: "string" },
    host: { type: "string", default: "127.0.0.1" },
  },
  strict: true,
});
const subgraph = SUBGRAPHS[values.name];
if (!subgraph) fail(`--name must be one of ${Object.keys(SUBGRAPHS).join(", ")}`);
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) fail("--port P (0-65535) is required");

const schema = buildSubgraphSchema([
  { typeDefs: parse(subgraph.typeDefs), resolvers: subgraph.resolvers },
]);
const documents = new Map();

/** The parsed document of `query`, or the validation errors that stop it. */
function prepared(query) {
  let entry = documents.get(query);
  if (entry === undefined) {
    try {
      const document = parse(query);
      const errors = validate(schema, document);
      entry = errors.length ? { errors } : { document };
    } catch (error) {
      entry = { errors: [error] };
    }
    documents.set(query, entry);
  }
  return entry;
}

function send(res, status, payload) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(payload));
}

async function answer(req, res) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  let body;
  try {
    body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    send(res, 400, { errors: [{ message: "the body is not JSON" }] });
    return;
  }
  const { document, errors } = prepared(String(body.query ?? ""));
  if (errors) {
    send(res, 400, { errors: errors.map((error) => ({ message: error.message })) });
    return;
  }
  const result = await execute({ schema, document, variableValues: body.variables ?? {} });
  send(res, 200, result);
}

const server = http.createServer((req, res) => {
  if (req.url === "/healthz") {
    res.writeHead(200, { "content-type": "text/plain" });
    res.end("ok\n");
  } else if (req.url === "/graphql" && req.method === "POST") {
    answer(req, res).catch((error) => send(res, 500, { errors: [{ message: error.message }] }));
  } else {
    send(res, 404, { errors: [{ message: "GraphQL is served at POST /graphql" }] });
  }
});
// longer than any gateway keeps an idle connection, so none reuses one being closed
server.keepAliveTimeout = 75_000;
server.listen({ port, host: values.host }, () => {
  process.stdout.write(`${values.name} subgraph at http://${values.host}:${server.address().port}/graphql\n`);
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => process.exit(0));
