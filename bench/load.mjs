// The load generator of bench/peers.py: a closed loop of N concurrent clients, each
// sending its next GraphQL request as soon as the previous answer has fully arrived.
//
// Usage:
//   node load.mjs --url URL --bodies FILE --concurrency N --warmup S --duration S \
//     [--header "name: value" ...]
//
// FILE is a JSON array of request bodies (strings), sent in turn (client i starts at
// body i and every request takes the next one), so the load is spread over all of them.
// Requests answered during the first S seconds (--warmup) are not counted; the next
// --duration seconds are. A request counts as an error when the status is not 200 or
// the body carries a top-level "errors" key (the answer is parsed for that), and errors
// are timed like any other answer. Prints one JSON object on stdout:
//   {requests, errors, errorSamples, seconds, throughput, latencyMs: {p50, p90, p99, max, mean}}
// Latencies are measured per request with the monotonic clock, in microseconds, and
// the percentiles are exact (every sample is kept and sorted), not from a histogram.
//
// undici's connection pool keeps one keep-alive connection per client, with no
// pipelining: what a gateway sees is N clients, each with one request in flight.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

import { Pool } from "undici";

function fail(message) {
  process.stderr.write(`error: ${message}\n`);
  process.exit(2);
}

function options() {
  const { values } = parseArgs({
    options: {
      url: { type: "string" },
      bodies: { type: "string" },
      concurrency: { type: "string" },
      warmup: { type: "string" },
      duration: { type: "string" },
      header: { type: "string", multiple: true, default: [] },
    },
    strict: true,
  });
  for (const name of ["url", "bodies", "concurrency", "warmup", "duration"]) {
    if (values[name] === undefined) fail(`--${name} is required`);
  }
  const headers = { "content-type": "application/json", accept: "application/json" };
  for (const line of values.header) {
    const at = line.indexOf(":");
    if (at < 1) fail(`--header takes "name: value", not ${JSON.stringify(line)}`);
    headers[line.slice(0, at).trim().toLowerCase()] = line.slice(at + 1).trim();
  }
  const bodies = JSON.parse(readFileSync(values.bodies, "utf8"));
  if (!Array.isArray(bodies) || bodies.length === 0) fail("--bodies must hold a JSON array");
  return {
    url: new URL(values.url),
    bodies,
    headers,
    concurrency: Number(values.concurrency),
    warmupMs: Number(values.warmup) * 1000,
    durationMs: Number(values.duration) * 1000,
  };
}

function percentile(sorted, fraction) {
  if (sorted.length === 0) return null;
  const rank = Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1);
  return sorted[Math.max(0, rank)];
}

/** Why an answer is an error, or null when it is a clean GraphQL answer. */
function errorOf(status, text) {
  if (status !== 200) return `HTTP ${status}: ${text.slice(0, 200)}`;
  let answer;
  try {
    answer = JSON.parse(text);
  } catch {
    return `not JSON: ${text.slice(0, 200)}`;
  }
  if (answer.errors !== undefined) return JSON.stringify(answer.errors).slice(0, 300);
  return null;
}

async function main() {
  const { url, bodies, headers, concurrency, warmupMs, durationMs } = options();
  const pool = new Pool(url.origin, { connections: concurrency, pipelining: 1 });
  const path = url.pathname + url.search;
  const started = performance.now();
  const measureFrom = started + warmupMs;
  const stopAt = measureFrom + durationMs;
  const latencies = [];
  const errorSamples = new Set();
  let errors = 0;
  let next = 0;

  async function client() {
    while (performance.now() < stopAt) {
      const body = bodies[next++ % bodies.length];
      const sent = performance.now();
      let problem;
      try {
        const response = await pool.request({ path, method: "POST", headers, body });
        problem = errorOf(response.statusCode, await response.body.text());
      } catch (error) {
        problem = `${error.code ?? "request failed"}: ${error.message}`;
      }
      const answered = performance.now();
      if (answered < measureFrom || answered > stopAt) continue;
      latencies.push((answered - sent) * 1000);
      if (problem !== null) {
        errors += 1;
        if (errorSamples.size < 5) errorSamples.add(problem);
      }
    }
  }

  await Promise.all(Array.from({ length: concurrency }, client));
  await pool.close();
  const sorted = Float64Array.from(latencies).sort();
  const ms = (micros) => (micros === null ? null : micros / 1000);
  const seconds = durationMs / 1000;
  process.stdout.write(
    JSON.stringify({
      requests: sorted.length,
      errors,
      errorSamples: [...errorSamples],
      seconds,
      throughput: sorted.length / seconds,
      latencyMs: {
        p50: ms(percentile(sorted, 0.5)),
        p90: ms(percentile(sorted, 0.9)),
        p99: ms(percentile(sorted, 0.99)),
        max: ms(percentile(sorted, 1)),
        mean: sorted.length ? ms(sorted.reduce((a, b) => a + b, 0) / sorted.length) : null,
      },
    }) + "\n",
  );
}

await main();
