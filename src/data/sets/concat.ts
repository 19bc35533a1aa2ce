/**
 * Join datasets of the same image shape into one, e.g. an unlabelled pre-training pool from two modalities.
 */
import { Dataset, numExamples, validateDataset } from './dataset';

/** Options of `concatDatasets`. */
export interface ConcatOptions {
  /**
   * `keep` (default): keep the labels; every part must have the same task and class names.
   * `source`: label each example with the index of its part (class names = the parts' sources), for pools whose
   * labels do not match (pre-training ignores labels; "which dataset?" is then the label).
   */
  labelMode?: 'keep' | 'source';
  /** `source` of the result (default: the parts' sources joined with ` + `). */
  source?: string;
}

/**
 * The examples of `parts` one after the other: images `[N1 + N2 + ..., H, W, C]`. Pixel data stay `uint8` when
 * every part is `uint8`; otherwise they become `float32` in 0..1, the `uint8` parts divided by 255 (as training
 * scales bytes), so a byte pool and an already converted pool join on one scale.
 * `ids` and `groups` are kept when every part has them; `modality` is the distinct values joined with `, `.
 */
export function concatDatasets(parts: readonly Dataset[], options: ConcatOptions = {}): Dataset {
  if (parts.length === 0) throw new Error('concatDatasets: no datasets given; pass at least one.');
  const [, h, w, c] = parts[0].images.shape;
  for (const p of parts) {
    const [, ph, pw, pc] = p.images.shape;
    if (ph !== h || pw !== w || pc !== c) throw new Error(`concatDatasets: ${p.source} has images ${ph}x${pw}x${pc}, ${parts[0].source} has ${h}x${w}x${c}; resize them to one size first.`);
  }
  const mode = options.labelMode ?? 'keep';
  if (mode === 'keep') {
    for (const p of parts) {
      if (p.task !== parts[0].task || p.labels.shape[1] !== parts[0].labels.shape[1] || p.classNames.join('\u0000') !== parts[0].classNames.join('\u0000')) {
        throw new Error(`concatDatasets: ${p.source} (${p.task}; ${p.classNames.join(', ')}) and ${parts[0].source} (${parts[0].task}; ${parts[0].classNames.join(', ')}) have different labels; pass { labelMode: 'source' } to label examples by dataset instead.`);
      }
    }
  }
  const n = parts.reduce((s, p) => s + numExamples(p), 0);
  const allBytes = parts.every((p) => p.images.data instanceof Uint8Array);
  const data = allBytes ? new Uint8Array(n * h * w * c) : new Float32Array(n * h * w * c);
  const l = mode === 'keep' ? parts[0].labels.shape[1] : 1;
  const labels = new Int32Array(n * l);
  let offset = 0;
  parts.forEach((p, k) => {
    const m = numExamples(p);
    if (allBytes || !(p.images.data instanceof Uint8Array)) data.set(p.images.data, offset * h * w * c);
    else {
      const src = p.images.data;
      const at = offset * h * w * c;
      for (let i = 0; i < src.length; i++) data[at + i] = src[i] / 255;
    }
    if (mode === 'keep') labels.set(p.labels.data, offset * l);
    else labels.fill(k, offset, offset + m);
    offset += m;
  });
  const modalities = [...new Set(parts.map((p) => p.modality).filter((m): m is string => !!m))];
  const out: Dataset = {
    images: { data, shape: [n, h, w, c] },
    labels: { data: labels, shape: [n, l] },
    task: mode === 'keep' ? parts[0].task : parts.length === 2 ? 'binary-class' : 'multi-class',
    classNames: mode === 'keep' ? [...parts[0].classNames] : parts.map((p) => p.source),
    source: options.source ?? parts.map((p) => p.source).join(' + '),
  };
  if (modalities.length > 0) out.modality = modalities.join(', ');
  if (parts.every((p) => p.ids)) out.ids = parts.flatMap((p) => p.ids as string[]);
  if (parts.every((p) => p.groups)) out.groups = parts.flatMap((p) => p.groups as string[]);
  return validateDataset(out);
}
