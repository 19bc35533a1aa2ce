/**
 * Plotly figures for looking inside adapters: per-layer norms of LoRA updates, their singular values, and
 * class-token attention maps next to the image. Built from `src/analysis` results; nothing is drawn here.
 */
import type { LoraUpdateRow } from '../analysis/lora-svd';
import { logAxis } from './axes';
import type { Figure } from './plotly';

/** The update rows of one run (e.g. `TPP only`), from `loraUpdateRows`. */
export interface UpdateRun {
  name: string;
  rows: readonly LoraUpdateRow[];
}

/** Grouped bars: ‖ΔW‖_F per adapted module, one trace per run. */
export function loraNormsFigure(runs: readonly UpdateRun[], title = 'Size of each LoRA update ‖scale·B·A‖_F'): Figure {
  return {
    data: runs.map((r) => ({
      type: 'bar', name: r.name, x: r.rows.map((x) => x.module), y: r.rows.map((x) => x.norm),
      customdata: r.rows.map((x) => x.topShare), hovertemplate: '%{x}: ‖ΔW‖ %{y:.4f}<br>top direction %{customdata:.0%} of the energy<extra>%{fullData.name}</extra>',
    })),
    layout: { title, barmode: 'group', height: 400, margin: { t: 40, r: 20, b: 110, l: 70 }, xaxis: { title: { text: 'adapted module', standoff: 10 }, tickangle: -40, automargin: true }, yaxis: { title: 'Frobenius norm' } },
  };
}

/**
 * Singular values of every update: one trace per run, index 1..r on x within each module, modules side by side
 * on a categorical axis (`module · σk`), so hover names the module and the index.
 */
export function singularValuesFigure(runs: readonly UpdateRun[], title = 'Singular values of each LoRA update'): Figure {
  return {
    data: runs.map((r) => ({
      type: 'scatter', mode: 'markers', name: r.name,
      x: r.rows.flatMap((x) => x.singularValues.map((_, k) => `${x.module} σ${k + 1}`)),
      y: r.rows.flatMap((x) => x.singularValues), marker: { size: 7 }, hovertemplate: '%{x}: %{y:.4g}<extra>%{fullData.name}</extra>',
    })),
    layout: { title, height: 440, margin: { t: 40, r: 20, b: 140, l: 70 }, xaxis: { title: { text: 'module and singular value index', standoff: 10 }, tickangle: -60, tickfont: { size: 9 }, automargin: true }, yaxis: logAxis(runs.flatMap((r) => r.rows.flatMap((x) => x.singularValues)), { title: 'singular value' }) },
  };
}

/** One row of an attention figure: a name and the head maps `[heads][rows][cols]`. */
export interface AttentionRow {
  name: string;
  heads: readonly (readonly (readonly number[])[])[];
}

/**
 * The image (grey) followed by one heatmap per head, for each row (e.g. `before` and `after`): rows x (1 + heads)
 * heatmap traces on their own axes. Images and maps are drawn top row first, row 0 of a map at the top. Every
 * map shares one colour scale (0 to the largest weight of any row), shown once, so rows compare; heads are
 * numbered from 0 as in the code.
 */
export function attentionFigure(image: readonly (readonly number[])[], rows: readonly AttentionRow[], title = 'Class-token attention per head'): Figure {
  const heads = Math.max(...rows.map((r) => r.heads.length));
  const zmax = Math.max(...rows.flatMap((r) => r.heads.flatMap((m) => m.flatMap((line) => [...line]))));
  let scaleShown = false;
  const cols = 1 + heads;
  const gapX = 0.02;
  const gapY = 0.1;
  const w = (1 - gapX * (cols - 1)) / cols;
  const h = (1 - gapY * (rows.length - 1)) / rows.length;
  const layout: Record<string, unknown> = { title, height: 190 * rows.length + 80, margin: { t: 60, l: 20, r: 20, b: 20 }, annotations: [] as object[] };
  const annotations = layout.annotations as object[];
  const data: object[] = [];
  let axis = 0;
  rows.forEach((row, ri) => {
    const top = 1 - ri * (h + gapY);
    const panels: { z: readonly (readonly number[])[]; label: string; grey: boolean }[] = [
      { z: image, label: `${row.name}: image`, grey: true }, ...row.heads.map((z, k) => ({ z, label: `head ${k}`, grey: false })),
    ];
    panels.forEach((p, ci) => {
      axis++;
      const ax = axis === 1 ? '' : String(axis);
      const x0 = ci * (w + gapX);
      layout[`xaxis${ax}`] = { domain: [x0, x0 + w], showticklabels: false, showgrid: false, zeroline: false, scaleanchor: `y${ax}` };
      layout[`yaxis${ax}`] = { domain: [top - h, top], anchor: `x${ax}`, autorange: 'reversed', showticklabels: false, showgrid: false, zeroline: false };
      annotations.push({ text: p.label, xref: 'paper', yref: 'paper', x: x0 + w / 2, y: top + 0.02, yanchor: 'bottom', showarrow: false, font: { size: 11 } });
      const scale = !p.grey && !scaleShown;
      if (scale) scaleShown = true;
      data.push({
        type: 'heatmap', z: p.z.map((r) => [...r]), xaxis: `x${ax}`, yaxis: `y${ax}`, showscale: scale, name: p.label,
        colorscale: p.grey ? 'Greys' : 'Viridis', reversescale: p.grey, ...(p.grey ? {} : { zmin: 0, zmax }),
        ...(scale ? { colorbar: { title: { text: 'weight' }, thickness: 12, len: 0.8 } } : {}),
        hovertemplate: p.grey ? 'pixel (%{y}, %{x}): %{z:.2f}<extra></extra>' : `${p.label}, patch (%{y}, %{x}): %{z:.3f}<extra>${row.name}</extra>`,
      });
    });
  });
  return { data, layout };
}
