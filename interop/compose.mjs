// Composes subgraph SDL files with The Guild's federation composition library
// and prints {"errors": [...], "supergraphSdl": "..."} as JSON on stdout.
// Usage: node compose.mjs NAME=PATH[=URL] [NAME=PATH[=URL] ...]
import { readFileSync } from "node:fs";
import { parse } from "graphql";
import { composeServices, compositionHasErrors } from "@theguild/federation-composition";

const services = process.argv.slice(2).map((argument) => {
  const [name, path, ...url] = argument.split("=");
  return { name, typeDefs: parse(readFileSync(path, "utf8")), url: url.join("=") || undefined };
});
const result = composeServices(services);
const output = compositionHasErrors(result)
  ? { errors: result.errors.map((e) => e.message), supergraphSdl: null }
  : { errors: [], supergraphSdl: result.supergraphSdl };
process.stdout.write(JSON.stringify(output));
