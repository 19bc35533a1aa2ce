/**
 * Example images per class of a dataset, ready for `imageGrid`.
 */
import { classCounts, Dataset, numExamples } from '../data/sets/dataset';
import { seededPermutation } from '../data/sets/random';
import type { ImageBatch } from './images';

/** Up to `perClass` images of one class. */
export interface ClassSample {
  classIndex: number;
  className: string;
  /** How many examples of the class the dataset has. */
  total: number;
  /** Which examples were taken. */
  indices: number[];
  /** Their pixels `[M, H, W, C]` (a copy, same type as the dataset's). */
  images: ImageBatch;
}

/**
 * Up to `perClass` images of every class of a single-label dataset: the first ones in dataset order, or in a
 * seeded random order when `seed` is given.
 */
export function classSamples(ds: Dataset, perClass: number, options: { seed?: number } = {}): ClassSample[] {
  if (ds.task === 'multi-label, binary-class') throw new Error('classSamples: multi-label datasets have no single class per image; pick images by label column instead.');
  const n = numExamples(ds);
  const [, h, w, c] = ds.images.shape;
  const per = h * w * c;
  const order = options.seed === undefined ? Int32Array.from({ length: n }, (_, i) => i) : seededPermutation(n, options.seed);
  const counts = classCounts(ds);
  return ds.classNames.map((className, k) => {
    const indices: number[] = [];
    for (let j = 0; j < n && indices.length < perClass; j++) if (ds.labels.data[order[j]] === k) indices.push(order[j]);
    const data = ds.images.data instanceof Uint8Array ? new Uint8Array(indices.length * per) : new Float32Array(indices.length * per);
    indices.forEach((i, j) => data.set(ds.images.data.subarray(i * per, (i + 1) * per), j * per));
    return { classIndex: k, className, total: counts[k], indices, images: { data, shape: [indices.length, h, w, c] } };
  });
}
