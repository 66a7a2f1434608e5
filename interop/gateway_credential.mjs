// creditgraph's internal credential, for the Node.js gateways we compare against
// (interop/apollo_gateway.mjs, bench/hive_gateway.config.mjs): every request they send to a
// creditgraph subgraph must carry it, as creditgraph's own gateway does (see
// src/creditgraph/subgraphs/credential.py). An HS256 JWT signed with the UTF-8 bytes of
// CREDITGRAPH_INTERNAL_SECRET, claims {iss: "creditgraph-gateway",
// aud: "creditgraph-subgraph:<name in join__graph(name:)>", iat: now, exp: iat + 60}, and no
// requester: these gateways do no authorisation, so they act for no one. Signed with
// node:crypto so that no JWT package is needed.
import { createHmac } from "node:crypto";

export const CREDENTIAL_HEADER = "creditgraph-gateway-credential";
const ISSUER = "creditgraph-gateway";
const LIFETIME_SECONDS = 60;
const MIN_SECRET_BYTES = 32;

function base64url(value) {
  return Buffer.from(value).toString("base64url");
}

/** The shared secret from CREDITGRAPH_INTERNAL_SECRET, or a one-line reason it is unusable. */
export function loadSecret(env = process.env) {
  const configured = env.CREDITGRAPH_INTERNAL_SECRET;
  if (!configured) {
    return { error: "CREDITGRAPH_INTERNAL_SECRET must be set (the subgraphs' secret)" };
  }
  const secret = Buffer.from(configured, "utf8");
  if (secret.length < MIN_SECRET_BYTES) {
    return { error: `CREDITGRAPH_INTERNAL_SECRET must be at least ${MIN_SECRET_BYTES} bytes long` };
  }
  return { secret };
}

/** A fresh credential addressed to one subgraph, valid for LIFETIME_SECONDS. */
export function issueCredential(secret, subgraph, now = Date.now() / 1000) {
  const iat = Math.floor(now);
  const header = base64url(JSON.stringify({ alg: "HS256", typ: "JWT" }));
  const claims = base64url(
    JSON.stringify({
      iss: ISSUER,
      aud: `creditgraph-subgraph:${subgraph}`,
      iat,
      exp: iat + LIFETIME_SECONDS,
    }),
  );
  const signature = createHmac("sha256", secret).update(`${header}.${claims}`).digest("base64url");
  return `${header}.${claims}.${signature}`;
}
