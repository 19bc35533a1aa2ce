/**
 * The TPP study's answer in the workshop page, read from its committed CSVs copied into the site: the paired
 * differences for the target and method the participant ran (with their run beside the study's estimate) and the
 * regime map (each setting's difference against the distance of its TPP images to the target).
 */
import { contrastRows, effectScatter, escapeHtml, longerDose, parseCsvRows, regimeSettings, type CsvRow, type Figure, type PairedSummary } from '../src/core';
import type { LabSettings } from './settings';

/** The study's rows for this target and method (each TPP arm − none), as HTML, with this run's estimate beside the study's at the same budget. */
export function studyTable(contrastsCsv: string, settings: LabSettings, dataName: string, mine: PairedSummary): string {
  const rows = parseCsvRows(contrastsCsv, 'study/contrasts.csv');
  const here = rows.filter((r) => r.target === dataName && r.method === settings.method && r.metric === 'auc' && r.versus === 'none');
  if (!here.length) {
    return `<p>The study did not run ${escapeHtml(dataName)}. Over all its settings, TPP on the target's own images: ${tally(rows, 'same')}; on another modality: ${tally(rows, 'other-modality')} (<code>study/contrasts.csv</code>).</p>`;
  }
  const f = (v: number) => (v >= 0 ? '+' : '−') + Math.abs(v).toFixed(3);
  const interval = (mean: number, low: number, high: number) => `${f(mean)} <span class="ci">[${f(low)}, ${f(high)}]</span>`;
  const verdict = (v: string) => `<span class="${v.replace(/\s+/g, '-')}">${v}</span>`;
  const body = here.map((r) => `<tr${r.arm === 'same' ? ' class="ran"' : ''}><td>${r.arm}</td><td>${r.budget.replace('/class', '')}</td><td>${interval(Number(r.delta_mean), Number(r.delta_ci_low), Number(r.delta_ci_high))}</td><td>${verdict(r.verdict)}</td></tr>`).join('');
  const study = here.find((r) => r.arm === 'same' && r.budget === `${settings.labels}/class`);
  const yours = Number.isFinite(mine.low) ? interval(mine.mean, mine.low, mine.high) : f(mine.mean);
  const compare = study
    ? `<p class="verdict">Your run (${mine.n} seeds, ${settings.profile} profile): ${yours}, ${verdict(mine.verdict)}. The study at ${settings.labels} labels per class (10 seeds, full recipe): ${interval(Number(study.delta_mean), Number(study.delta_ci_low), Number(study.delta_ci_high))}, ${verdict(study.verdict)}.</p>`
    : `<p>The study ran 1, 5 and 10 labels per class; set labels to one of them to see your run beside it.</p>`;
  return compare + `<p>The study's paired test AUC differences (TPP arm − no TPP) on <b>${dataName}</b> with <b>${settings.method}</b>, with 95 % intervals over 10 fine-tuning seeds ` +
    `(<code>study/contrasts.csv</code>; TPP for 40 epochs on 546 images, 3 TPP seeds). <i>same</i>: the target's own images, as run above; <i>same-modality</i> and <i>other-modality</i>: another pool of the same or another kind of image; <i>natural</i>: Tiny-ImageNet photos. ` +
    `Over all its settings, TPP on the target's own images: ${tally(rows, 'same')}; on another modality: ${tally(rows, 'other-modality')}.</p>` +
    `<div class="scroll"><table><thead><tr><th>TPP images</th><th>labels per class</th><th>Δ AUC [95 % CI]</th><th>verdict</th></tr></thead><tbody>${body}</tbody></table></div>`;
}

/**
 * What the regime map's dose axis found (`study/dose-contrasts.csv`): TPP on a target's own images trained longer than
 * the study's 546 images for 40 epochs, against no TPP; and how long this page's TPP ran, for scale.
 */
export function doseNote(doseCsv: string, pageEpochs: number): string {
  const longer = longerDose(parseCsvRows(doseCsv, 'study/dose-contrasts.csv'));
  return `<p>The study's TPP was short: 546 images for 40 epochs (this page's profile: ${pageEpochs} epochs). The regime map's dose axis trained it longer on the ` +
    `target's own images (2,000 or all images, or 4x the epochs) on ${escapeHtml(longer.targets.join(', '))}: TPP then helped in ${longer.helps} of ${longer.rows.length} settings, ` +
    `showed no detectable effect in ${longer.noEffect} and hurt in ${longer.hurts} (<code>study/dose-contrasts.csv</code>).</p>`;
}

/** How the study's verdicts for `arm` − none fell over all targets, methods and budgets, in words. */
function tally(rows: readonly CsvRow[], arm: string): string {
  const mine = rows.filter((r) => r.arm === arm && r.versus === 'none' && r.metric === 'auc');
  const n = (v: string) => mine.filter((r) => r.verdict === v).length;
  return `${n('helps')} of ${mine.length} helped, ${n('no detectable effect')} showed no detectable effect, ${n('hurts')} hurt`;
}

/** The regime map for `method`: every setting's Δ test AUC against the Fréchet distance of its TPP images to the target. */
export function regimeMap(contrastsCsv: string, distancesCsv: string, method: string): Figure {
  const measured = regimeSettings(contrastRows(parseCsvRows(contrastsCsv, 'study/contrasts.csv')), parseCsvRows(distancesCsv, 'study/distances.csv'));
  return effectScatter(measured.filter((s) => s.method === method).map((s) => ({
    x: s.fdPool, y: s.delta, low: s.ciLow, high: s.ciHigh, group: s.target, label: `${s.target}, TPP on ${s.arm}, ${s.budget}/class`,
  })), { title: `The regime map (${method}): TPP − no TPP against the TPP images' distance to the target`, xTitle: 'Fréchet distance, TPP images → target', yTitle: 'Δ test AUC (95 % interval)' });
}
