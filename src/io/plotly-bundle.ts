/**
 * plotly.js's bundle read from node_modules: the loader that Node code (reports, the notebook display) gives to
 * `plotlyBundleScript` / `pageHtml` in src/viz/plotly.ts, so figures draw offline without a CDN.
 */
import * as fs from 'fs';

let text: string | null = null;

/** The source of `plotly.js-dist-min/plotly.min.js` (read once per process). */
export function readPlotlyBundle(): string {
  text ??= fs.readFileSync(require.resolve('plotly.js-dist-min/plotly.min.js'), 'utf8');
  return text;
}
