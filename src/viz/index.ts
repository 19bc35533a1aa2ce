/**
 * Pictures for notebooks and reports: image grids (PNG) and galleries (HTML), plotly figure specs (loss curves,
 * bars, histograms, heatmaps; run figures: curves, confusion matrices, file sizes, rank sweeps; LoRA update and
 * attention figures), readable log axes (`logAxis`), chance lines and reference points (`withReferences`), drawn
 * diagrams as SVG (the three-stage TPP pipeline, where each PEFT method sits in a block), reconstructions without
 * vs with a TPP adapter, segmentation masks over images and per-image score charts, HTML tables, a live training
 * display, class-token attention maps. `notebook.ts` (`show`,
 * `showHtml`, `showSvg`, `showPng`, `markdown`) is not re-exported here: it needs the tslab kernel.
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
export * from './axes';
export * from './references';
export * from './svg';
export * from './pipeline';
export * from './peft-diagram';
export * from './reconstructions';
export * from './seg-figures';
export * from './regime-figures';
