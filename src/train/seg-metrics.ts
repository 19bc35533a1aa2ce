/**
 * Per-image segmentation metrics on binary masks `[H, W]` (Uint8Array, 0/1): Dice, IoU and the 95th-percentile
 * Hausdorff distance, plus HC18's clinical measure (an ellipse fitted to a mask, its circumference in mm).
 *
 * Empty masks (defined here once, documented in docs and tested):
 * - both prediction and reference empty: Dice = 1, IoU = 1, HD95 = 0 (perfect agreement: nothing to find, nothing
 *   found);
 * - exactly one empty: Dice = 0, IoU = 0, HD95 = the image diagonal in mm (`hypot(W * sx, H * sy)`), the worst
 *   distance possible inside the image, so that means over images stay finite and a miss is penalised.
 *
 * HD95 follows MedPy's `hd95` (and the BraTS / Decathlon-era evaluations built on it): surface pixels of a mask are
 * its pixels with a background 4-neighbour (pixels outside the image count as background, so a mask touching the
 * border has a surface there); for every surface pixel of each mask, the Euclidean distance (in mm, pixel size
 * `[sx, sy]`) to the nearest surface pixel of the other; HD95 is the 95th percentile of both sets of distances
 * pooled, with linear interpolation between order statistics (numpy's default `percentile`).
 */

/** Dice and IoU of two binary masks of equal length (see the module comment for empty masks). */
export function overlap(pred: ArrayLike<number>, ref: ArrayLike<number>): { dice: number; iou: number } {
  if (pred.length !== ref.length) throw new Error(`overlap: prediction has ${pred.length} pixels, reference ${ref.length}.`);
  let inter = 0;
  let a = 0;
  let b = 0;
  for (let i = 0; i < pred.length; i++) {
    const p = pred[i] > 0 ? 1 : 0;
    const r = ref[i] > 0 ? 1 : 0;
    inter += p & r;
    a += p;
    b += r;
  }
  if (a + b === 0) return { dice: 1, iou: 1 };
  return { dice: (2 * inter) / (a + b), iou: inter / (a + b - inter) };
}

/** Surface pixels of a binary mask `[h, w]`: pixels of the mask with a background (or outside) 4-neighbour. */
export function surface(mask: ArrayLike<number>, h: number, w: number): Uint8Array {
  const out = new Uint8Array(h * w);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      if (!(mask[i] > 0)) continue;
      const inside = y > 0 && y < h - 1 && x > 0 && x < w - 1 && mask[i - 1] > 0 && mask[i + 1] > 0 && mask[i - w] > 0 && mask[i + w] > 0;
      if (!inside) out[i] = 1;
    }
  }
  return out;
}

/** Stands in for "no seed" in the transform: far above any real squared distance, and still finite arithmetic. */
const FAR = 1e20;

/**
 * Exact 1-D squared distance transform (Felzenszwalb & Huttenlocher 2012, "Distance transforms of sampled
 * functions") of `f` (n values) with sample spacing `s`, into `d`; `v`, `z` are work arrays.
 */
function edt1d(f: Float64Array, n: number, s: number, d: Float64Array, v: Int32Array, z: Float64Array): void {
  const s2 = s * s;
  let k = 0;
  v[0] = 0;
  z[0] = -Infinity;
  z[1] = Infinity;
  for (let q = 1; q < n; q++) {
    let r = 0;
    for (;;) {
      const p = v[k];
      r = (f[q] + s2 * q * q - (f[p] + s2 * p * p)) / (2 * s2 * (q - p));
      if (r <= z[k] && k > 0) k--;
      else break;
    }
    if (r <= z[k]) {
      // k is 0 here: q's parabola lies below v[0]'s everywhere.
      v[0] = q;
      z[1] = Infinity;
      continue;
    }
    k++;
    v[k] = q;
    z[k] = r;
    z[k + 1] = Infinity;
  }
  k = 0;
  for (let q = 0; q < n; q++) {
    while (z[k + 1] < q) k++;
    const p = v[k];
    d[q] = s2 * (q - p) * (q - p) + f[p];
  }
}

/**
 * Squared Euclidean distance (in units of the spacing) from every pixel of `[h, w]` to the nearest pixel where
 * `seeds` is set; `Infinity` everywhere when there are no seeds. Spacing `[sx, sy]`.
 */
export function squaredDistanceToSeeds(seeds: ArrayLike<number>, h: number, w: number, spacing: readonly [number, number] = [1, 1]): Float64Array {
  const [sx, sy] = spacing;
  const n = Math.max(h, w);
  const f = new Float64Array(n);
  const d = new Float64Array(n);
  const v = new Int32Array(n);
  const z = new Float64Array(n + 1);
  const grid = new Float64Array(h * w);
  for (let x = 0; x < w; x++) {
    for (let y = 0; y < h; y++) f[y] = seeds[y * w + x] > 0 ? 0 : FAR;
    edt1d(f, h, sy, d, v, z);
    for (let y = 0; y < h; y++) grid[y * w + x] = d[y];
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) f[x] = grid[y * w + x];
    edt1d(f, w, sx, d, v, z);
    for (let x = 0; x < w; x++) grid[y * w + x] = d[x] >= FAR / 2 ? Infinity : d[x];
  }
  return grid;
}

/** numpy's default percentile (linear interpolation between the sorted values), q in [0, 100]. */
export function percentile(values: Float64Array, q: number): number {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  const pos = ((sorted.length - 1) * q) / 100;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** 95th-percentile Hausdorff distance in mm between binary masks `[h, w]` (conventions in the module comment). */
export function hd95(pred: ArrayLike<number>, ref: ArrayLike<number>, h: number, w: number, spacing: readonly [number, number] = [1, 1]): number {
  if (pred.length !== h * w || ref.length !== h * w) throw new Error(`hd95: masks must hold ${h}x${w} = ${h * w} pixels; got ${pred.length} and ${ref.length}.`);
  const sp = surface(pred, h, w);
  const sr = surface(ref, h, w);
  const np = sp.reduce((a, b) => a + b, 0);
  const nr = sr.reduce((a, b) => a + b, 0);
  if (np === 0 && nr === 0) return 0;
  if (np === 0 || nr === 0) return Math.hypot(w * spacing[0], h * spacing[1]);
  const toRef = squaredDistanceToSeeds(sr, h, w, spacing);
  const toPred = squaredDistanceToSeeds(sp, h, w, spacing);
  const dists = new Float64Array(np + nr);
  let at = 0;
  for (let i = 0; i < h * w; i++) {
    if (sp[i]) dists[at++] = Math.sqrt(toRef[i]);
    if (sr[i]) dists[at++] = Math.sqrt(toPred[i]);
  }
  return percentile(dists, 95);
}

/** Dice, IoU and HD95 of one image. */
export interface SegScores {
  dice: number;
  iou: number;
  hd95: number;
}

/** All three metrics of one binary mask pair `[h, w]`. */
export function segScores(pred: ArrayLike<number>, ref: ArrayLike<number>, h: number, w: number, spacing: readonly [number, number] = [1, 1]): SegScores {
  return { ...overlap(pred, ref), hd95: hd95(pred, ref, h, w, spacing) };
}

/** An ellipse in mm: centre, semi-axes (a ≥ b), orientation of the major axis in radians from the x axis. */
export interface Ellipse {
  cx: number;
  cy: number;
  a: number;
  b: number;
  angle: number;
}

/** Ramanujan's approximation of an ellipse's perimeter (relative error below 1e-4 for any eccentricity of a head). */
export function ellipsePerimeter(a: number, b: number): number {
  return Math.PI * (3 * (a + b) - Math.sqrt((3 * a + b) * (a + 3 * b)));
}

/** The largest 8-connected component of a binary mask `[h, w]` (empty stays empty). */
export function largestComponent(mask: ArrayLike<number>, h: number, w: number): Uint8Array {
  const label = new Int32Array(h * w);
  const stack: number[] = [];
  let best = 0;
  let bestSize = 0;
  let next = 0;
  for (let i = 0; i < h * w; i++) {
    if (!(mask[i] > 0) || label[i]) continue;
    next++;
    let size = 0;
    label[i] = next;
    stack.push(i);
    while (stack.length) {
      const p = stack.pop()!;
      size++;
      const y = Math.floor(p / w);
      const x = p - y * w;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const yy = y + dy;
          const xx = x + dx;
          if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
          const q = yy * w + xx;
          if (mask[q] > 0 && !label[q]) {
            label[q] = next;
            stack.push(q);
          }
        }
      }
    }
    if (size > bestSize) {
      bestSize = size;
      best = next;
    }
  }
  return Uint8Array.from(label, (l) => (l === best && best > 0 ? 1 : 0));
}

/**
 * Fit an ellipse to a filled binary mask `[h, w]` by its second moments (for a filled ellipse the covariance has
 * eigenvalues a²/4 and b²/4), in mm with pixel size `[sx, sy]`; each pixel counts as a uniform square, which adds
 * s²/12 per axis. Uses the largest connected component. Null for an empty mask.
 */
export function fitEllipse(mask: ArrayLike<number>, h: number, w: number, spacing: readonly [number, number] = [1, 1]): Ellipse | null {
  const m = largestComponent(mask, h, w);
  const [sx, sy] = spacing;
  let n = 0;
  let mx = 0;
  let my = 0;
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if (m[y * w + x]) {
    n++;
    mx += (x + 0.5) * sx;
    my += (y + 0.5) * sy;
  }
  if (n === 0) return null;
  mx /= n;
  my /= n;
  let cxx = 0;
  let cyy = 0;
  let cxy = 0;
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if (m[y * w + x]) {
    const dx = (x + 0.5) * sx - mx;
    const dy = (y + 0.5) * sy - my;
    cxx += dx * dx;
    cyy += dy * dy;
    cxy += dx * dy;
  }
  cxx = cxx / n + (sx * sx) / 12;
  cyy = cyy / n + (sy * sy) / 12;
  cxy /= n;
  const mean = (cxx + cyy) / 2;
  const diff = Math.sqrt(((cxx - cyy) / 2) ** 2 + cxy * cxy);
  const l1 = mean + diff;
  const l2 = Math.max(0, mean - diff);
  return { cx: mx, cy: my, a: 2 * Math.sqrt(l1), b: 2 * Math.sqrt(l2), angle: 0.5 * Math.atan2(2 * cxy, cxx - cyy) };
}

/** Head circumference in mm of a mask (HC18): the perimeter of its fitted ellipse; NaN for an empty mask. */
export function headCircumference(mask: ArrayLike<number>, h: number, w: number, spacing: readonly [number, number]): number {
  const e = fitEllipse(mask, h, w, spacing);
  return e ? ellipsePerimeter(e.a, e.b) : NaN;
}
