// The GraphQL-over-HTTP audit of the graphql-http package, run against a
// Parley server: every MUST audit has to pass, and every SHOULD (or MAY)
// audit that does not must be listed, by id, in docs/compatibility.md with
// the reason. An audit that starts passing must leave the list too, so
// the document never claims a gap that is gone.
//
// Usage: node audit.mjs http://127.0.0.1:PORT/graphql
import { readFileSync } from 'node:fs';
import { serverAudits } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs URL');
  process.exit(2);
}

// The ids listed in the table of docs/compatibility.md: `| 572B | ...`.
const doc = readFileSync(new URL('../docs/compatibility.md', import.meta.url), 'utf8');
const documented = new Set([...doc.matchAll(/^\|\s*`?([0-9A-F]{4})`?\s*\|/gm)].map((m) => m[1]));

let failed = 0;
let passed = 0;
const notOK = new Set();
for (const audit of serverAudits({ url })) {
  const res = await audit.fn();
  if (res.status === 'ok') {
    passed++;
    continue;
  }
  notOK.add(audit.id);
  const must = audit.name.startsWith('MUST');
  if (res.status === 'error' || must) {
    failed++;
    console.error(`FAIL ${audit.id} ${audit.name}: ${res.reason}`);
  } else if (!documented.has(audit.id)) {
    failed++;
    console.error(`UNDOCUMENTED ${res.status} ${audit.id} ${audit.name}: ${res.reason} (add it to docs/compatibility.md with the reason)`);
  } else {
    console.log(`${res.status} ${audit.id} ${audit.name} (documented)`);
  }
}
for (const id of documented) {
  if (!notOK.has(id)) {
    failed++;
    console.error(`STALE ${id} is listed in docs/compatibility.md but passes now: remove it`);
  }
}
console.log(`graphql-http audit: ${passed} passed, ${notOK.size} not ok (${failed} failing the check)`);
process.exit(failed ? 1 : 0);
