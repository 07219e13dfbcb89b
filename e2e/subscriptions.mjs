// Live updates end to end, with the graphql-ws client (graphql-transport-ws
// protocol) against a running server started with a small
// --subscription-buffer:
//
//  1. A subscriber receives each of 10,000 imported statements exactly
//     once, in input order.
//  2. The same while a second subscriber stalls (its socket stops
//     reading): the stalled one is dropped during the import and, once it
//     reads again, told so with a SLOW_SUBSCRIBER error.
//  3. Run 1 again: the import of run 2 must not be more than 10% slower
//     (median batch time) than the slower of runs 1 and 3; the pair of
//     runs 2 and 3 is measured up to three times.
//  4. A page of another origin may not open a WebSocket.
//
// Usage: node subscriptions.mjs http://127.0.0.1:PORT/graphql workload.jsonl
// Environment: PARLEY_TOKEN, a write token when the server has tokens.
import { readFileSync } from 'node:fs';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const [httpURL, workload] = process.argv.slice(2);
if (!httpURL || !workload) {
  console.error('usage: node subscriptions.mjs URL WORKLOAD.jsonl');
  process.exit(2);
}
const wsURL = httpURL.replace(/^http/, 'ws');
const BATCH = 500;
// Writes need the token (PARLEY_TOKEN) when the server has tokens; it also
// travels in connection_init, which a server with private reads requires.
const token = process.env.PARLEY_TOKEN ?? '';
const auth = token ? { Authorization: `Bearer ${token}` } : {};
const MAX_SLOWDOWN = 1.10;

const lines = readFileSync(workload, 'utf8').split('\n').filter((l) => l.trim() !== '');
const base = lines.map((l) => JSON.parse(l));

// records gives the workload's records new external ids and texts, so
// that each run creates its statements anew.
const records = (prefix) => base.map((r) => ({ ...r, externalId: `${prefix}-${r.externalId}`, text: `${r.text} (${prefix})` }));

const IMPORT = `mutation Import($in: [StatementImport!]!) {
  importStatements(input: $in, options: { atomic: true }) { created failed }
}`;

async function post(query, variables, operationName) {
  const res = await fetch(httpURL, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/graphql-response+json', ...auth },
    body: JSON.stringify({ query, variables, operationName }),
  });
  const body = await res.json();
  if (res.status !== 200 || body.errors) {
    throw new Error(`${operationName}: HTTP ${res.status} ${JSON.stringify(body.errors)}`);
  }
  return body.data;
}

// importAll imports recs in batches and returns the seconds it took in all
// and the median seconds of a batch: the median is the figure compared
// between runs, as it shrugs off a pause caused by another process on a
// shared machine. onBatch runs after each batch.
async function importAll(recs, onBatch = async () => {}) {
  const start = process.hrtime.bigint();
  const times = [];
  for (let i = 0; i < recs.length; i += BATCH) {
    const t0 = process.hrtime.bigint();
    const { importStatements: rep } = await post(IMPORT, { in: recs.slice(i, i + BATCH) }, 'Import');
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
    if (rep.failed !== 0 || rep.created !== Math.min(BATCH, recs.length - i)) {
      throw new Error(`batch at ${i}: ${JSON.stringify(rep)}`);
    }
    await onBatch();
  }
  times.sort((a, b) => a - b);
  return { total: Number(process.hrtime.bigint() - start) / 1e9, median: times[Math.floor(times.length / 2)] };
}

// metric reads one sample from the server's /metrics.
async function metric(series) {
  const text = await (await fetch(new URL('/metrics', httpURL))).text();
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

// waitOpen waits until n statementAdded subscriptions are open, so that
// they see every commit that follows.
async function waitOpen(n) {
  const open = () => metric('parley_subscriptions_open{field="statementAdded"}');
  for (const deadline = Date.now() + 10_000; (await open()) !== n;) {
    if (Date.now() > deadline) throw new Error(`${await open()} subscriptions open, want ${n}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

// subscribe collects the externalIds of statementAdded events until want
// have arrived.
function subscribe(want) {
  const client = createClient({ url: wsURL, webSocketImpl: WebSocket, lazy: false, retryAttempts: 0, connectionParams: auth });
  const got = [];
  const done = new Promise((resolve, reject) => {
    const unsubscribe = client.subscribe(
      { query: 'subscription Added { statementAdded { externalId speaker { key } } }' },
      {
        next: (msg) => {
          if (msg.errors) {
            reject(new Error(`subscription error: ${JSON.stringify(msg.errors)}`));
            return;
          }
          got.push(msg.data.statementAdded.externalId);
          if (got.length === want) {
            unsubscribe();
            resolve(got);
          }
        },
        error: reject,
        complete: () => resolve(got),
      },
    );
  });
  return { done, dispose: () => client.dispose() };
}

// stalledSubscriber opens a raw graphql-transport-ws connection, subscribes
// with a large selection (so that the socket buffers fill quickly) and
// stops reading.
async function stalledSubscriber() {
  const ws = new WebSocket(wsURL, 'graphql-transport-ws');
  const messages = [];
  let closed = false;
  ws.on('message', (data) => messages.push(JSON.parse(data.toString())));
  ws.on('close', () => { closed = true; });
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  ws.send(JSON.stringify({ type: 'connection_init', payload: auth }));
  await new Promise((resolve) => ws.once('message', resolve));
  const fields = Array.from({ length: 25 }, (_, i) => `t${i}: text`).join(' ');
  ws.send(JSON.stringify({ id: 'stalled', type: 'subscribe', payload: { query: `subscription { statementAdded { ${fields} } }` } }));
  ws.pause();
  return {
    // resume reads again and waits for the end of the subscription.
    async resume() {
      ws.resume();
      const deadline = Date.now() + 30_000;
      while (!messages.some((m) => m.id === 'stalled' && (m.type === 'complete' || m.type === 'error')) && !closed) {
        if (Date.now() > deadline) throw new Error('the stalled subscription never ended');
        await new Promise((r) => setTimeout(r, 50));
      }
      ws.close();
      return messages.filter((m) => m.id === 'stalled');
    },
  };
}

function checkOrder(name, got, recs) {
  if (got.length !== recs.length) throw new Error(`${name}: got ${got.length} events, want ${recs.length}`);
  const seen = new Set();
  for (let i = 0; i < recs.length; i++) {
    if (seen.has(got[i])) throw new Error(`${name}: ${got[i]} arrived twice`);
    seen.add(got[i]);
    if (got[i] !== recs[i].externalId) throw new Error(`${name}: event ${i} is ${got[i]}, want ${recs[i].externalId}`);
  }
}

const ms = (s) => `${(s * 1000).toFixed(0)}ms`;

let failed = false;
function check(ok, msg) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${msg}`);
  if (!ok) failed = true;
}

// Warm up: speakers, topics and sources exist from now on, so that both
// measured runs create statements and positions only.
await importAll(records('warm'));

// oneSubscriber imports a fresh copy of the workload while one subscriber
// listens, and checks that it gets every statement once, in order.
async function oneSubscriber(name) {
  const recs = records(name);
  const sub = subscribe(recs.length);
  await waitOpen(1);
  const t = await importAll(recs);
  const got = await sub.done;
  sub.dispose();
  checkOrder(name, got, recs);
  check(true, `${name}: ${recs.length} statements imported in ${t.total.toFixed(2)}s (median batch ${ms(t.median)}) reached the subscriber once each, in order`);
  return t;
}

// Run 1: one subscriber.
const run1 = await oneSubscriber('run 1');

// stalledRun imports a fresh copy of the workload while one subscriber
// listens and a second one stalls, and checks that the first gets every
// statement and the second is dropped and told so.
async function stalledRun(name) {
  const recs = records(name);
  const sub = subscribe(recs.length);
  const stalled = await stalledSubscriber();
  await waitOpen(2);
  // The stalled subscriber reads again as soon as the server has dropped
  // it, so that it can be told (one that stays silent is disconnected).
  const dropped = () => metric('parley_subscriptions_dropped_total{field="statementAdded"}');
  const droppedBefore = await dropped();
  let resumed;
  const t = await importAll(recs, async () => {
    if (!resumed && (await dropped()) > droppedBefore) resumed = stalled.resume();
  });
  const got = await sub.done;
  sub.dispose();
  checkOrder(name, got, recs);
  check(true, `${name}: ${recs.length} statements imported in ${t.total.toFixed(2)}s (median batch ${ms(t.median)}) with a stalled subscriber reached the other one once each, in order`);
  check(resumed !== undefined, 'the stalled subscriber was dropped during the import');
  const msgs = await (resumed ?? stalled.resume());
  const events = msgs.filter((m) => m.type === 'next' && !m.payload.errors).length;
  const told = msgs.find((m) => m.type === 'next' && m.payload.errors);
  check(events < recs.length && told?.payload.errors[0].extensions?.code === 'SLOW_SUBSCRIBER',
    `the stalled subscriber was dropped after ${events} of ${recs.length} events and told: ${told ? JSON.stringify(told.payload.errors[0].message) : 'no error'}`);
  check(msgs.at(-1)?.type === 'complete', 'its subscription then completed');
  return t;
}

// Runs 2 and 3: a stalled run, then one subscriber again. The stalled run
// is compared with the slower of the plain runs before and after it: on a
// shared machine the load of other processes moves batch times by more
// than 10% within a minute, and the question is whether the stall adds to
// that spread, not what the spread is. A batch takes about 0.1 s, so one
// pause of the test's own process (which also reads both subscriptions)
// can move a median by 10%: the pair is measured up to three times, and a
// stall that slows the server fails every attempt.
{
  const attempts = 3;
  let before = run1;
  let best;
  for (let i = 1; i <= attempts; i++) {
    const stalledT = await stalledRun(i === 1 ? 'run 2' : `run 2, attempt ${i}`);
    const after = await oneSubscriber(i === 1 ? 'run 3' : `run 3, attempt ${i}`);
    const baseline = Math.max(before.median, after.median);
    const ratio = stalledT.median / baseline;
    if (best === undefined || ratio < best.ratio) best = { ratio, stalled: stalledT.median, baseline, attempt: i };
    if (ratio <= MAX_SLOWDOWN) break;
    console.log(`note attempt ${i}: the stalled run's median batch was ${((ratio - 1) * 100).toFixed(1)}% slower; measuring again`);
    before = after;
  }
  check(best.ratio <= MAX_SLOWDOWN,
    `the stalled subscriber slowed the import by ${((best.ratio - 1) * 100).toFixed(1)}% (median batch ${ms(best.stalled)} against ${ms(best.baseline)}, attempt ${best.attempt} of at most ${attempts}; at most ${((MAX_SLOWDOWN - 1) * 100).toFixed(0)}%)`);
}

// Other origins are refused at the handshake.
{
  const status = await new Promise((resolve) => {
    const ws = new WebSocket(wsURL, 'graphql-transport-ws', { headers: { Origin: 'https://evil.example' } });
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode));
    ws.on('open', () => { ws.close(); resolve(101); });
    ws.on('error', () => resolve('error'));
  });
  check(status === 403, `a WebSocket from another origin gets ${status} (want 403)`);
}

process.exit(failed ? 1 : 0);
