// Hive Gateway's configuration for bench/peers.py: the supergraph comes from the command
// line (`hive-gateway supergraph FILE -c hive_gateway.config.mjs`); this file only makes
// every subgraph request carry creditgraph's internal credential, as Apollo Gateway does
// in interop/apollo_gateway.mjs, and keeps Hive's extras out of the timing.
//
// The credential (see src/creditgraph/subgraphs/credential.py): a fresh HS256 JWT signed
// with the UTF-8 bytes of CREDITGRAPH_INTERNAL_SECRET, claims {iss: "creditgraph-gateway",
// aud: "creditgraph-subgraph:<name in join__graph(name:)>", iat: now, exp: iat + 60}.
// interop/apollo_gateway.mjs signs the same token; neither file exports it for the other
// (that one runs its server when imported), hence these few lines here.
import { createHmac } from "node:crypto";

import { defineConfig } from "@graphql-hive/gateway";

const CREDENTIAL_HEADER = "creditgraph-gateway-credential";
const LIFETIME_SECONDS = 60;

const configured = process.env.CREDITGRAPH_INTERNAL_SECRET ?? "";
if (Buffer.byteLength(configured, "utf8") < 32) {
  process.stderr.write("error: CREDITGRAPH_INTERNAL_SECRET must be set (32 bytes or more)\n");
  process.exit(2);
}
const secret = Buffer.from(configured, "utf8");

function base64url(value) {
  return Buffer.from(value).toString("base64url");
}

function issueCredential(subgraph) {
  const iat = Math.floor(Date.now() / 1000);
  const header = base64url(JSON.stringify({ alg: "HS256", typ: "JWT" }));
  const claims = base64url(
    JSON.stringify({
      iss: "creditgraph-gateway",
      aud: `creditgraph-subgraph:${subgraph}`,
      iat,
      exp: iat + LIFETIME_SECONDS,
    }),
  );
  const signature = createHmac("sha256", secret).update(`${header}.${claims}`).digest("base64url");
  return `${header}.${claims}.${signature}`;
}

export const gatewayConfig = defineConfig({
  // called for every subgraph request: a credential lives only 60 s
  propagateHeaders: {
    fromClientToSubgraphs: ({ subgraphName }) => ({
      [CREDENTIAL_HEADER]: issueCredential(subgraphName),
    }),
  },
  // subgraph errors reach the client as they are, as with the other gateways
  maskedErrors: false,
  landingPage: false,
  graphiql: false,
  logging: "warn",
});
