/**
 * Pictures for notebooks and reports: image grids (PNG) and galleries (HTML), plotly figure specs (loss curves,
 * bars, histograms, heatmaps; run figures: curves, confusion matrices, file sizes, rank sweeps; LoRA update and
 * attention figures), HTML tables, a live training display, class-token attention maps. `notebook.ts` (`show`,
 * `showHtml`, `showPng`, `markdown`) is not re-exported here: it needs the tslab kernel.
 */
export * from './images';
export * from './charts';
export * from './table';
export * from './progress';
export * from './samples';
export * from './attention';
export * from './plotly';
export * from './run-figures';
export * from './lora-figures';
