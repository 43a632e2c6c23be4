import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { project } from '../bus/project.js';
import { processMachine } from '../machines/process.js';
import { serviceMachine } from '../machines/service.js';
import { pageChartOf } from './chart.js';

/** A response body and its type. */
export type Asset = { type: string; body: () => Promise<string | Buffer> };

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

// Beside this module in src/ and in dist/ alike (the build copies it).
const PAGE_DIR = fileURLToPath(new URL('./page/', import.meta.url));

/**
 * Everything the page loads, by URL path; nothing comes from the network.
 * Page files are matched by their exact names, so no request can reach a
 * path outside the page folder.
 */
export function pageAssets(): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const file of readdirSync(PAGE_DIR)) {
    const type = TYPES[path.extname(file)];
    if (!type) continue;
    const load = () => readFile(path.join(PAGE_DIR, file));
    assets.set(`/${file}`, { type, body: load });
    if (file === 'index.html') assets.set('/', { type, body: load });
  }
  const elk = createRequire(import.meta.url).resolve('elkjs/lib/elk.bundled.js');
  assets.set('/vendor/elk.bundled.js', { type: TYPES['.js']!, body: () => readFile(elk) });
  // The very function the runtime folds history with, so the page's replay cannot disagree with it.
  const projectSource = `${project.toString()}\nexport { project };\n`;
  assets.set('/project.js', { type: TYPES['.js']!, body: async () => projectSource });
  const chart = JSON.stringify(pageChartOf(processMachine));
  assets.set('/chart.json', { type: 'application/json; charset=utf-8', body: async () => chart });
  const serviceChart = JSON.stringify(pageChartOf(serviceMachine));
  assets.set('/service-chart.json', { type: 'application/json; charset=utf-8', body: async () => serviceChart });
  return assets;
}
