// Hive Gateway's configuration for bench/peers.py: the supergraph comes from the command
// line (`hive-gateway supergraph FILE -c hive_gateway.config.mjs`); this file only makes
// every subgraph request carry creditgraph's internal credential, as Apollo Gateway does
// in interop/apollo_gateway.mjs, and keeps Hive's extras out of the timing.
import { defineConfig } from "@graphql-hive/gateway";

import {
  CREDENTIAL_HEADER,
  issueCredential,
  loadSecret,
} from "../interop/gateway_credential.mjs";

const { secret, error } = loadSecret();
if (error) {
  process.stderr.write(`error: ${error}\n`);
  process.exit(2);
}

export const gatewayConfig = defineConfig({
  // called for every subgraph request: a credential lives only 60 s
  propagateHeaders: {
    fromClientToSubgraphs: ({ subgraphName }) => ({
      [CREDENTIAL_HEADER]: issueCredential(secret, subgraphName),
    }),
  },
  // subgraph errors reach the client as they are, as with the other gateways
  maskedErrors: false,
  landingPage: false,
  graphiql: false,
  logging: "warn",
});
