// Example. CI type-checks it; to run it against a server:
//
//	npm run codegen && npx tsc --noEmit false --outDir dist && node dist/main.js
//
// PARLEY_URL and PARLEY_TOKEN configure it.
//
// Prints Dmitry Peskov's latest statements, who stands where on Ukraine's
// NATO membership, then follows new statements on the peace process.
import WebSocket from 'ws';

import { Parley, ParleyError } from './client.js';
import { SpeakerFeed, StanceMap, StatementAdded } from './operations.js';

const parley = new Parley({
  url: process.env.PARLEY_URL ?? 'http://127.0.0.1:8080/graphql',
  token: process.env.PARLEY_TOKEN,
  webSocketImpl: WebSocket,
});

try {
  const feed = await parley.request(SpeakerFeed, { key: 'dmitry-peskov', first: 5 });
  for (const edge of feed.speaker?.statements?.edges ?? []) {
    const s = edge.node;
    console.log(`${s.saidOn?.value ?? 'undated'} ${s.kind} ${s.text}`);
  }

  const map = await parley.request(StanceMap, { topic: 'ukraine-nato-membership', asOf: '2025-12-01' });
  for (const p of map.stanceMap?.positions ?? []) {
    console.log(`${p.speaker.name}: ${p.stance}${p.summary ? ` (${p.summary})` : ''}`);
  }
} catch (err) {
  if (err instanceof ParleyError) console.error(`Parley said ${err.code}: ${err.message}`);
  throw err;
}

const stop = parley.subscribe(StatementAdded, { filter: { topics: ['ukraine-peace-process'] } }, (data) => {
  const s = data.statementAdded;
  console.log(`new: ${s.speaker.name}: ${s.text}`);
}, (err) => {
  // SLOW_SUBSCRIBER: resubscribe and query what was missed.
  console.error(err.message);
});
process.on('SIGINT', () => {
  stop();
  void parley.close();
});
