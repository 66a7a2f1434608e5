// A reference Apollo Federation v2 gateway (@apollo/gateway + @apollo/server) for
// differential tests: the same supergraph and subgraphs served by Apollo's gateway and
// by ours must give the same answers.
//
// Usage:
//   CREDITGRAPH_INTERNAL_SECRET=<the subgraphs' secret, 32+ bytes> \
//     node apollo_gateway.mjs --supergraph PATH --port P [--host H]
//
// PATH is a composed supergraph SDL whose join__graph(url:) values point at the running
// HTTP subgraphs, e.g. the supergraphSdl printed by
//   node compose.mjs bureau=../graphql/subgraphs/bureau.graphql=http://127.0.0.1:4101/graphql \
//     public=...=http://127.0.0.1:4102/graphql scores=...=http://127.0.0.1:4103/graphql
// (a subgraph with no url makes it refuse to start). H defaults to 127.0.0.1. It serves:
//   POST /graphql   GraphQL over HTTP (application/json), as Apollo Server does
//   GET  /graphql   likewise (queries only; Apollo's CSRF prevention applies)
//   GET  /healthz   200 "ok" (503 while stopping): the port opens only once the gateway
//                   has loaded the supergraph, so polling it is a readiness check
// and prints one line "apollo gateway at http://H:P/graphql" on stdout when ready (with
// --port 0 the system picks a free port, and that line names it).
// SIGINT/SIGTERM stop it. A bad argument, a missing/short secret or a supergraph the
// gateway rejects exit with status 2 or 1 and one line on stderr.
//
// Every request to a subgraph carries a fresh internal credential in the header
// `creditgraph-gateway-credential`, as creditgraph's own gateway sends it
// (gateway_credential.mjs).
//
// Apollo's defaults that would make the comparison unfair or noisy are turned off:
// usage/schema reporting and the landing page are disabled, introspection is on, and
// errors are not masked (paths and extensions.code are kept) but carry no stack trace.
// What Apollo adds, which a differential test must allow for: a subgraph's error gets
// extensions.serviceName; a subgraph answering non-2xx (a refused credential: 401)
// becomes an error "401: Unauthorized" with extensions.response {url, status, body};
// variables that do not coerce are a 400 with extensions.code BAD_USER_INPUT.
import { readFileSync } from "node:fs";
import http from "node:http";
import { parseArgs } from "node:util";

import { ApolloGateway, RemoteGraphQLDataSource } from "@apollo/gateway";
import { ApolloServer, HeaderMap } from "@apollo/server";
import { ApolloServerPluginDrainHttpServer } from "@apollo/server/plugin/drainHttpServer";
import {
  ApolloServerPluginLandingPageDisabled,
  ApolloServerPluginSchemaReportingDisabled,
  ApolloServerPluginUsageReportingDisabled,
} from "@apollo/server/plugin/disabled";

import { CREDENTIAL_HEADER, issueCredential, loadSecret } from "./gateway_credential.mjs";

const MAX_BODY_BYTES = 50 * 1024 * 1024;

function fail(message, status = 1) {
  process.stderr.write(`error: ${message}\n`);
  process.exit(status);
}

function parseOptions() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        supergraph: { type: "string" },
        port: { type: "string" },
        host: { type: "string", default: "127.0.0.1" },
      },
      strict: true,
    }));
  } catch (error) {
    fail(error.message, 2);
  }
  if (!values.supergraph) fail("--supergraph PATH is required", 2);
  const port = Number(values.port);
  if (!values.port || !Number.isInteger(port) || port < 0 || port > 65535) {
    fail("--port P (0-65535) is required", 2);
  }
  return { supergraphPath: values.supergraph, port, host: values.host };
}

function secretOrExit() {
  const { secret, error } = loadSecret();
  if (error) fail(error, 2);
  return secret;
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on("data", (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(Object.assign(new Error("request body too large"), { status: 413 }));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function sendJson(res, status, payload) {
  res.statusCode = status;
  res.setHeader("content-type", "application/json; charset=utf-8");
  res.end(JSON.stringify(payload));
}

/** Hands one HTTP request to Apollo Server, the way its standalone server does. */
async function handleGraphQL(server, req, res, search) {
  const headers = new HeaderMap();
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(", ") : value);
  }
  const method = req.method.toUpperCase();
  let body;
  if (method === "POST") {
    const text = await readBody(req);
    const contentType = headers.get("content-type") ?? "";
    if (contentType.toLowerCase().startsWith("application/json")) {
      try {
        body = text === "" ? undefined : JSON.parse(text);
      } catch {
        sendJson(res, 400, {
          errors: [{ message: "the body is not valid JSON", extensions: { code: "BAD_REQUEST" } }],
        });
        return;
      }
    } else {
      body = text; // Apollo Server answers a non-JSON body with its own 400 (CSRF rules)
    }
  }
  const response = await server.executeHTTPGraphQLRequest({
    httpGraphQLRequest: { method, headers, search, body },
    context: async () => ({}),
  });
  for (const [key, value] of response.headers) res.setHeader(key, value);
  res.statusCode = response.status ?? 200;
  if (response.body.kind === "complete") {
    res.end(response.body.string);
    return;
  }
  for await (const chunk of response.body.asyncIterator) res.write(chunk);
  res.end();
}

async function main() {
  const { supergraphPath, port, host } = parseOptions();
  const secret = secretOrExit();
  let supergraphSdl;
  try {
    supergraphSdl = readFileSync(supergraphPath, "utf8");
  } catch (error) {
    fail(`cannot read the supergraph ${supergraphPath}: ${error.message}`, 2);
  }

  const gateway = new ApolloGateway({
    supergraphSdl,
    buildService({ name, url }) {
      // composed without urls, join__graph(url:) is empty: Apollo would only log it
      // and then fail every request, so refuse to start instead
      if (!url) throw new Error(`join__graph(name: "${name}") has no url`);
      return new RemoteGraphQLDataSource({
        url,
        willSendRequest({ request }) {
          // fresh for every subgraph request: a credential lives only 60 s
          request.http.headers.set(CREDENTIAL_HEADER, issueCredential(secret, name));
        },
      });
    },
  });

  let ready = false;
  const httpServer = http.createServer();
  const server = new ApolloServer({
    gateway,
    introspection: true,
    includeStacktraceInErrorResponses: false,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      ApolloServerPluginLandingPageDisabled(),
      ApolloServerPluginUsageReportingDisabled(),
      ApolloServerPluginSchemaReportingDisabled(),
    ],
  });

  httpServer.on("request", (req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname === "/healthz") {
      if (req.method !== "GET" && req.method !== "HEAD") {
        sendJson(res, 405, { error: "method not allowed" });
      } else if (ready) {
        res.statusCode = 200;
        res.setHeader("content-type", "text/plain; charset=utf-8");
        res.end("ok\n");
      } else {
        sendJson(res, 503, { error: "not ready" });
      }
      return;
    }
    if (url.pathname !== "/graphql") {
      sendJson(res, 404, { error: "not found; GraphQL is served at /graphql" });
      return;
    }
    handleGraphQL(server, req, res, url.search).catch((error) => {
      if (res.headersSent) {
        res.destroy(error);
        return;
      }
      const status = error.status ?? 500;
      if (status >= 500) process.stderr.write(`${error.stack ?? error}\n`);
      const code = status >= 500 ? "INTERNAL_SERVER_ERROR" : "BAD_REQUEST";
      sendJson(res, status, { errors: [{ message: error.message, extensions: { code } }] });
    });
  });

  try {
    await server.start(); // loads the supergraph and builds the query planner
  } catch (error) {
    fail(`the gateway refused the supergraph ${supergraphPath}: ${error.message}`);
  }
  await new Promise((resolve, reject) => {
    httpServer.once("error", reject);
    httpServer.listen({ port, host }, resolve);
  }).catch((error) => fail(`cannot listen on ${host}:${port}: ${error.message}`));
  ready = true;
  const address = httpServer.address();
  process.stdout.write(`apollo gateway at http://${host}:${address.port}/graphql\n`);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    ready = false;
    setTimeout(() => process.exit(0), 10_000).unref(); // should draining ever hang
    try {
      await server.stop(); // drains the HTTP server, then stops the gateway
    } finally {
      process.exit(0);
    }
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

await main();
