// Apollo Client reading a query with @defer from a live GraphQL endpoint, as an app would.
//
// Usage:
//   node apollo_defer.mjs URL QUERY_FILE VARIABLES_JSON [--header "Name: value"]...
//
// Apollo Client's HttpLink asks for multipart/mixed (deferSpec=20220824) when the query
// uses @defer and merges each incremental part into the result it delivers. Prints one
// JSON line per result the client delivered to its subscriber ({"data": ..., "errors":
// [...]}), then exits 0; exits 1 if the query failed, 2 on a bad argument.

import { readFileSync } from "node:fs";
import { ApolloClient, HttpLink, InMemoryCache, gql } from "@apollo/client/core/index.js";

function usage(message) {
  process.stderr.write(
    `error: ${message}\nusage: node apollo_defer.mjs URL QUERY_FILE VARIABLES_JSON [--header "Name: value"]...\n`,
  );
  process.exit(2);
}

const [url, queryFile, variablesJson, ...rest] = process.argv.slice(2);
if (!url || !queryFile || !variablesJson) usage("URL, QUERY_FILE and VARIABLES_JSON are required");
const headers = {};
for (let index = 0; index < rest.length; index++) {
  if (rest[index] !== "--header") usage(`unknown argument ${rest[index]}`);
  const [name, ...value] = (rest[++index] ?? "").split(":");
  if (!value.length) usage("a header is Name: value");
  headers[name.trim()] = value.join(":").trim();
}

const client = new ApolloClient({
  link: new HttpLink({ uri: url, headers }),
  // no normalisation: each result is delivered as the server's parts make it
  cache: new InMemoryCache({ addTypename: false, resultCaching: false }),
});

const observable = client.watchQuery({
  query: gql(readFileSync(queryFile, "utf8")),
  variables: JSON.parse(variablesJson),
  fetchPolicy: "no-cache",
  errorPolicy: "all",
});

observable.subscribe({
  next(result) {
    process.stdout.write(
      JSON.stringify({ data: result.data ?? null, errors: result.errors ?? [] }) + "\n",
    );
  },
  error(failure) {
    process.stderr.write(`error: ${failure.message}\n`);
    process.exit(1);
  },
  complete() {
    process.exit(0);
  },
});
