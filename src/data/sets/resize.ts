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
