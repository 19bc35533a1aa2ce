/**
 * Bilinear resizing of a channels-last image, with half-pixel centres (the convention of
 * `tf.image.resizeBilinear(..., halfPixelCenters = true)` and OpenCV's `INTER_LINEAR`, no antialiasing).
 */

/**
 * Resize `src` (`[height, width, channels]` flattened) to `[outHeight, outWidth, channels]`.
 * Output pixel (y, x) samples the input at `((y + 0.5) * height / outHeight - 0.5, ...)`, clamped to the edges.
 */
export function resizeBilinear(
  src: ArrayLike<number>,
  height: number,
  width: number,
  channels: number,
  outHeight: number,
  outWidth: number,
): Float32Array {
  if (src.length !== height * width * channels) {
    throw new Error(`resizeBilinear: input holds ${src.length} values, expected ${height}x${width}x${channels}.`);
  }
  const out = new Float32Array(outHeight * outWidth * channels);
  const sy = height / outHeight;
  const sx = width / outWidth;
  for (let y = 0; y < outHeight; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), height - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, height - 1);
    const dy = fy - y0;
    for (let x = 0; x < outWidth; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), width - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, width - 1);
      const dx = fx - x0;
      for (let c = 0; c < channels; c++) {
        const a = src[(y0 * width + x0) * channels + c];
        const b = src[(y0 * width + x1) * channels + c];
        const d = src[(y1 * width + x0) * channels + c];
        const e = src[(y1 * width + x1) * channels + c];
        const top = a + (b - a) * dx;
        const bottom = d + (e - d) * dx;
        out[(y * outWidth + x) * channels + c] = top + (bottom - top) * dy;
      }
    }
  }
  return out;
}

/**
 * Area-average resizing of 8-bit images (the box filter of OpenCV's `INTER_AREA` when shrinking): each output
 * pixel is the mean of the input area it covers, input pixels on its border weighted by the part they cover.
 * Computed in integers (weights are overlaps on a grid `outHeight * outWidth` times finer) and rounded half up
 * once at the end, so the result is exact and the same on every machine. Growing an image repeats pixels
 * (each output pixel lies inside one input pixel, or averages the two or four it straddles).
 * Used to make the image pools from their original archives (`src/data/sources/pool-build.ts`).
 */
export function resizeArea(src: Uint8Array, height: number, width: number, channels: number, outHeight: number, outWidth: number): Uint8Array {
  if (src.length !== height * width * channels) {
    throw new Error(`resizeArea: input holds ${src.length} values, expected ${height}x${width}x${channels}.`);
  }
  if (!(outHeight >= 1 && outWidth >= 1 && Number.isInteger(outHeight) && Number.isInteger(outWidth))) {
    throw new Error(`resizeArea: output size must be whole numbers >= 1, got ${outHeight}x${outWidth}.`);
  }
  const wx = areaWeights(width, outWidth);
  const wy = areaWeights(height, outHeight);
  // Horizontal pass: sums weighted by overlap (each row's weights add up to `width`).
  const rows = new Float64Array(height * outWidth * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < outWidth; x++) {
      for (const [j, w] of wx[x]) {
        const s = (y * width + j) * channels;
        const d = (y * outWidth + x) * channels;
        for (let c = 0; c < channels; c++) rows[d + c] += w * src[s + c];
      }
    }
  }
  // Vertical pass; the total weight of an output pixel is width * height (integers below 2^53: exact).
  const total = width * height;
  const out = new Uint8Array(outHeight * outWidth * channels);
  for (let y = 0; y < outHeight; y++) {
    for (let x = 0; x < outWidth; x++) {
      for (let c = 0; c < channels; c++) {
        let sum = 0;
        for (const [i, w] of wy[y]) sum += w * rows[(i * outWidth + x) * channels + c];
        out[(y * outWidth + x) * channels + c] = Math.floor((2 * sum + total) / (2 * total));
      }
    }
  }
  return out;
}

/**
 * For each of `n` output pixels along one axis of `size` input pixels: the input pixels it covers and their
 * integer overlaps, measured on a grid where an input pixel is `n` long and an output pixel `size` long.
 */
function areaWeights(size: number, n: number): Array<Array<[number, number]>> {
  const out: Array<Array<[number, number]>> = [];
  for (let k = 0; k < n; k++) {
    const lo = k * size;
    const hi = lo + size;
    const list: Array<[number, number]> = [];
    for (let j = Math.floor(lo / n); j * n < hi; j++) {
      const w = Math.min(hi, (j + 1) * n) - Math.max(lo, j * n);
      if (w > 0) list.push([j, w]);
    }
    out.push(list);
  }
  return out;
}
