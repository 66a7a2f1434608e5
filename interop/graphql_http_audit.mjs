// The GraphQL-over-HTTP conformance audit (graphql-http's auditServer) run against a
// live GraphQL endpoint, results printed as JSON for the test suite to judge.
//
// Usage:
//   node graphql_http_audit.mjs URL [--header "Name: value"]...
//
// URL is the endpoint (e.g. http://127.0.0.1:4000/graphql); each --header is sent with
// every audit request (e.g. an Authorization header). Prints one JSON array on stdout,
// one object per audit:
//   {"id": "...", "name": "MUST ...", "status": "ok" | "notice" | "warn" | "error",
//    "reason": "...", "response": {"status": 400, "headers": {...}, "body": ...}}
// (reason and response only for an audit that did not pass; body is the parsed JSON
// when the response was JSON, its text otherwise). The name starts with the
// requirement level (MUST, SHOULD, MAY); a failed MUST has status "error". Exits 0
// once the audit ran, whatever its results; 2 on a bad argument, 1 if it could not run.

import { auditServer } from "graphql-http";

function usage(message) {
  process.stderr.write(`error: ${message}\nusage: node graphql_http_audit.mjs URL [--header "Name: value"]...\n`);
  process.exit(2);
}

function parseArguments(argv) {
  let url = null;
  const headers = {};
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index];
    if (argument === "--header") {
      const value = argv[++index];
      const colon = value === undefined ? -1 : value.indexOf(":");
      if (colon < 1) usage(`--header needs "Name: value", got ${value}`);
      headers[value.slice(0, colon).trim()] = value.slice(colon + 1).trim();
    } else if (url === null && !argument.startsWith("--")) {
      url = argument;
    } else {
      usage(`unexpected argument ${argument}`);
    }
  }
  if (url === null) usage("the endpoint URL is missing");
  try {
    new URL(url);
  } catch {
    usage(`not a URL: ${url}`);
  }
  return { url, headers };
}

function withHeaders(extra) {
  if (Object.keys(extra).length === 0) return fetch;
  return (input, init = {}) => {
    const headers = new Headers(init.headers);
    for (const [name, value] of Object.entries(extra)) headers.set(name, value);
    return fetch(input, { ...init, headers });
  };
}

async function described(response) {
  const headers = {};
  for (const [name, value] of response.headers.entries()) headers[name] = value;
  let body = null;
  try {
    const text = await response.text();
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
  } catch {
    body = null; // already read by the audit
  }
  return { status: response.status, headers, body };
}

async function main() {
  const { url, headers } = parseArguments(process.argv.slice(2));
  const results = await auditServer({ url, fetchFn: withHeaders(headers) });
  const report = [];
  for (const result of results) {
    const entry = { id: result.id, name: result.name, status: result.status };
    if (result.status !== "ok") {
      entry.reason = result.reason;
      entry.response = await described(result.response);
    }
    report.push(entry);
  }
  process.stdout.write(JSON.stringify(report, null, 2) + "\n");
}

main().catch((error) => {
  process.stderr.write(`error: the audit could not run: ${error?.message ?? error}\n`);
  process.exit(1);
});
