/**
 * Plotly figures as self-contained HTML: used by notebooks (through `show` in ./notebook) and by reports.
 * The plotly.js bundle is embedded (no CDN), so charts render offline: its text comes from a loader the caller
 * passes (`readPlotlyBundle` from src/io in Node; a web page loads plotly with its own script tag and needs none).
 */

/** A plotly figure: traces plus layout, as plotly.js takes them. */
export interface Figure {
  data: object[];
  layout?: Record<string, unknown>;
  config?: Record<string, unknown>;
}

/** Gives the plotly.js bundle's source text (plotly.min.js), e.g. `readPlotlyBundle` from src/io/plotly-bundle. */
export type PlotlyLoader = () => string;

let wrapped: { load: PlotlyLoader; script: string } | null = null;

/**
 * The plotly.js bundle (from `load`) wrapped in a `<script>` that always defines `window.Plotly`, even where a page
 * has an AMD loader (classic Jupyter): `define`/`module`/`exports` are shadowed so the UMD header takes the global
 * branch. Made once per loader.
 */
export function plotlyBundleScript(load: PlotlyLoader): string {
  if (wrapped?.load !== load) {
    const src = load().replace(/<\/script/gi, '<\\/script');
    wrapped = { load, script: `<script>(function(define, module, exports){${src}\n}).call(window);</script>` };
  }
  return wrapped.script;
}

// Figure ids must not repeat within a page, also across kernel restarts (a notebook keeps old outputs): a random
// prefix per process (Node's pid served before; a page has none).
const idPrefix = Math.random().toString(36).slice(2, 10);
let counter = 0;

/** A `<div>` plus the script that draws `fig` into it with `Plotly.newPlot`. The bundle must be on the page. */
export function figureHtml(fig: Figure, opts: { height?: number; id?: string } = {}): string {
  const id = opts.id ?? `tpp-plot-${idPrefix}-${++counter}`;
  const height = opts.height ?? (fig.layout?.height as number | undefined) ?? 400;
  const json = JSON.stringify({ data: fig.data, layout: { height, margin: { t: 40, r: 20, b: 50, l: 60 }, ...fig.layout }, config: { responsive: true, displaylogo: false, ...fig.config } })
    .replace(/</g, '\\u003c');
  return `<div id="${id}" class="tpp-plot" style="width:100%;min-height:${height}px"></div>\n<script>(function(){var f=${json};Plotly.newPlot(${JSON.stringify(id)},f.data,f.layout,f.config);})();</script>`;
}

/**
 * A whole offline HTML page with a title and figures (for reports written to disk); plotly (from `loadPlotly`) is
 * embedded only when the body draws a figure.
 */
export function pageHtml(title: string, body: string, loadPlotly: PlotlyLoader): string {
  const esc = title.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c] as string);
  return `<!doctype html>\n<html><head><meta charset="utf-8"><title>${esc}</title>\n<style>body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}th{background:#f4f4f4}</style>\n${body.includes('class="tpp-plot"') ? plotlyBundleScript(loadPlotly) : ''}</head><body>\n<h1>${esc}</h1>\n${body}\n</body></html>\n`;
}
