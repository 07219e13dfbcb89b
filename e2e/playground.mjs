// The playground in a real browser: Debian's Chromium driven by
// playwright-core (which never downloads a browser of its own).
//
//  1. The page loads with no request to any other origin.
//  2. A query typed into the editor runs and its result is shown.
//  3. A mutation runs with a token set in the headers panel
//     (PARLEY_TOKEN, when the server requires one for writes).
//  4. A screenshot of the page with the result is saved to
//     artifacts/playground.png.
//
// Usage: node playground.mjs http://127.0.0.1:PORT/
// Environment: CHROMIUM (default /usr/bin/chromium), PARLEY_TOKEN.
import { mkdirSync } from 'node:fs';
import { chromium } from 'playwright-core';

const base = process.argv[2];
if (!base) {
  console.error('usage: node playground.mjs URL');
  process.exit(2);
}
const origin = new URL(base).origin;
const token = process.env.PARLEY_TOKEN ?? '';
const artifacts = new URL('./artifacts/', import.meta.url);
mkdirSync(artifacts, { recursive: true });

let failed = false;
function check(ok, msg) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${msg}`);
  if (!ok) failed = true;
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
});
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const foreign = [];
  // Requests to other origins are recorded and refused, so that the test
  // also passes the same way on a machine without internet access.
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('data:') || new URL(url).origin === origin) return route.continue();
    foreign.push(url);
    return route.abort();
  });
  const consoleErrors = [];
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(e.message));

  await page.goto(base, { waitUntil: 'networkidle' });
  const queryEditor = page.locator('.graphiql-query-editor .CodeMirror').first();
  await queryEditor.waitFor({ timeout: 15_000 });
  check(foreign.length === 0, `the page loaded with no request to another origin${foreign.length ? ': ' + foreign.join(', ') : ''}`);
  check(consoleErrors.length === 0, `no console errors${consoleErrors.length ? ': ' + consoleErrors.join('; ') : ''}`);

  // run types doc into the query editor, runs it and returns the text of
  // the result pane once it mentions expect.
  async function run(doc, expect) {
    await queryEditor.click();
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Delete');
    // insertText types the text as an input method would: the editor's
    // bracket auto-closing does not double the braces.
    await page.keyboard.insertText(doc);
    await page.locator('.graphiql-execute-button').click();
    const result = page.locator('.graphiql-response .CodeMirror').first();
    await result.filter({ hasText: expect }).waitFor({ timeout: 15_000 });
    return result.innerText();
  }

  // A query typed into the editor runs and shows its result.
  const query = '{ speaker(key: "dmitry-peskov") { name statements(first: 3) { totalCount edges { node { text } } } } }';
  const out = await run(query, 'totalCount');
  check(out.includes('Dmitry Peskov') && out.includes('"totalCount"'), 'a query typed into the editor ran and its result is shown');

  // A mutation with the token in the headers panel. Without it, a server
  // with tokens refuses the write.
  const key = `e2e-${Date.now()}`;
  const mutation = `mutation { createTopic(input: { key: "${key}", name: "Browser test" }) { topic { key name } } }`;
  if (token) {
    const refused = await run(mutation, 'UNAUTHENTICATED');
    check(refused.includes('UNAUTHENTICATED'), 'without a token the mutation is refused with UNAUTHENTICATED');
  }
  await page.getByText('Headers', { exact: true }).click();
  const headersEditor = page.locator('.graphiql-editor-tool .CodeMirror').last();
  await headersEditor.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(JSON.stringify(token ? { Authorization: `Bearer ${token}` } : { 'X-Request-Id': 'playground-e2e' }));
  const mutated = await run(mutation, `"key": "${key}"`);
  check(mutated.includes(`"key": "${key}"`) && !mutated.includes('"errors"'),
    `a mutation with ${token ? 'a token' : 'a header (no token: the server takes writes without one)'} set in the headers panel succeeded`);

  // The screenshot shows the playground with a query result.
  await run(query, 'totalCount');
  const shot = new URL('playground.png', artifacts);
  await page.screenshot({ path: shot.pathname, fullPage: true });
  console.log(`screenshot: ${shot.pathname}`);
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
