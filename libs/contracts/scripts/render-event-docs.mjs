#!/usr/bin/env node
/* global process, console */
// `npm run docs:events`: renders asyncapi/asyncapi.yaml to HTML in docs/events/ (git-ignored) with
// AsyncAPI's CLI and HTML template, fetched by npx on first use (kept out of devDependencies: the
// CLI is large). `--fallback` (or a failing CLI) writes a plain summary page from the parsed document.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = '@asyncapi/cli@6.2.0';
const TEMPLATE = '@asyncapi/html-template@3.5.6';
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const documentPath = join(root, 'asyncapi', 'asyncapi.yaml');
const outDir = join(root, 'docs', 'events');

function renderWithCli() {
  // The CLI sends usage metrics unless its analytics config says no; keep it local and silent.
  const analytics = join(mkdtempSync(join(tmpdir(), 'asyncapi-')), 'analytics.json');
  writeFileSync(
    analytics,
    JSON.stringify({ analyticsEnabled: 'false', infoMessageShown: 'true', userID: 'orderflow' }),
  );
  const args = [
    '--yes',
    CLI,
    'generate',
    'fromTemplate',
    documentPath,
    TEMPLATE,
    '-o',
    outDir,
    '--force-write',
    '--no-interactive',
  ];
  const result = spawnSync('npx', args, {
    cwd: root,
    stdio: 'inherit',
    env: {
      ...process.env,
      ASYNCAPI_METRICS_CONFIG_PATH: analytics,
      PUPPETEER_SKIP_DOWNLOAD: 'true',
      SUPPRESS_NO_CONFIG_WARNING: 'true',
    },
  });
  return result.status === 0;
}

const escape = (text) =>
  String(text ?? '').replace(
    /[&<>"]/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c],
  );

async function renderFallback() {
  const { Parser, fromFile } = await import('@asyncapi/parser');
  const { document, diagnostics } = await fromFile(new Parser(), documentPath).parse();
  if (!document)
    throw new Error(`asyncapi.yaml does not parse: ${diagnostics.map((d) => d.message).join('; ')}`);
  const rows = (items, cells) =>
    items
      .map(
        (item) =>
          `<tr>${cells(item)
            .map((c) => `<td>${c}</td>`)
            .join('')}</tr>`,
      )
      .join('\n');
  const ops = document.operations().all();
  const html = `<!doctype html><html><head><meta charset="utf-8"><title>${escape(document.info().title())}</title>
<style>body{font:14px system-ui;margin:2em;max-width:1100px}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}pre{background:#f6f6f6;padding:8px;overflow:auto}</style></head><body>
<h1>${escape(document.info().title())} ${escape(document.info().version())}</h1><pre>${escape(document.info().description())}</pre>
<h2>Operations</h2><table><tr><th>operation</th><th>action</th><th>topic</th><th>messages</th><th>service</th></tr>
${rows(ops, (op) => [
  escape(op.id()),
  escape(op.action()),
  escape(
    op
      .channels()
      .all()
      .map((c) => c.address())
      .join(', '),
  ),
  escape(
    op
      .messages()
      .all()
      .map((m) => m.name())
      .join(', '),
  ),
  escape(
    op
      .tags()
      .all()
      .map((t) => t.name())
      .join(', '),
  ),
])}</table>
<h2>Messages</h2>${document
    .components()
    .messages()
    .all()
    .map(
      (m) => `<h3 id="${escape(m.id())}">${escape(m.title() ?? m.name())}</h3><p>${escape(m.summary())}</p>
<details><summary>headers</summary><pre>${escape(JSON.stringify(m.headers()?.json(), null, 2))}</pre></details>
<details><summary>payload</summary><pre>${escape(JSON.stringify(m.payload()?.json(), null, 2))}</pre></details>
<details><summary>examples</summary><pre>${escape(
        JSON.stringify(
          m
            .examples()
            .all()
            .map((e) => e.json()),
          null,
          2,
        ),
      )}</pre></details>`,
    )
    .join('\n')}
</body></html>`;
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'index.html'), html);
}

if (!process.argv.includes('--fallback') && renderWithCli()) {
  console.log(`Rendered with ${CLI}: open docs/events/index.html`);
} else {
  if (!process.argv.includes('--fallback'))
    console.error('AsyncAPI CLI failed; writing the plain summary page instead.');
  await renderFallback();
  console.log('Rendered a plain summary: open docs/events/index.html');
}
