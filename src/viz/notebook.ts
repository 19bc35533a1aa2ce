/**
 * Display helpers for the tslab notebook kernel. Cells call `show(fig)` (synchronous: nothing to await); the first
 * call embeds the plotly.js bundle once for the notebook (each notebook has its own kernel process).
 */
import { readPlotlyBundle } from '../io/plotly-bundle';
import { Figure, figureHtml, plotlyBundleScript } from './plotly';

interface TslabDisplay {
  html(s: string): void;
  markdown(s: string): void;
  png(b: Uint8Array): void;
}

let bundleShown = false;

function tslabDisplay(): TslabDisplay {
  try {
    // Loaded lazily: tslab only exists inside the kernel (and as a dependency), not in a bundle.
    return require('tslab').display as TslabDisplay;
  } catch {
    throw new Error('show() needs the tslab notebook kernel (run the notebook with `npm run notebooks` or in Jupyter).');
  }
}

/** Show a plotly figure in the current cell's output. */
export function show(fig: Figure, opts: { height?: number } = {}): void {
  const display = tslabDisplay();
  const html = figureHtml(fig, opts);
  display.html(bundleShown ? html : `${plotlyBundleScript(readPlotlyBundle)}\n${html}`);
  bundleShown = true;
}

/** Show a markdown string (tables, notes) in the current cell's output. */
export function markdown(text: string): void {
  tslabDisplay().markdown(text);
}

/** Show an HTML fragment (a `gallery`, a `dataFrameHtml` table) in the current cell's output. */
export function showHtml(html: string): void {
  tslabDisplay().html(html);
}

/** Show an SVG document (e.g. `pipelineSvg()`, `peftDiagramSvg(...)`) inline in the current cell's output. */
export function showSvg(svg: string): void {
  if (!/^\s*<svg[\s>]/.test(svg)) throw new Error('showSvg: expected an SVG document starting with <svg ...>; for other HTML use showHtml.');
  // scaled down to the output's width when wider (the SVGs have a viewBox), never up
  tslabDisplay().html(`<div class="tpp-svg"><style>.tpp-svg > svg{max-width:100%;height:auto}</style>${svg}</div>`);
}

/** Show a PNG file (e.g. from `imageGrid`) in the current cell's output. */
export function showPng(png: Uint8Array): void {
  tslabDisplay().png(png);
}
