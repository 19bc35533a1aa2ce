/**
 * Windowing (VOI LUT) of DICOM values to 8-bit for display, after the linear function of DICOM PS3.3 C.11.2.1.2.
 */
import { DicomImage } from './dicom';
import { pixelStats } from './dicom-pixels';

/** A window: values below `center - width/2` go black, above `center + width/2` white. */
export interface Window {
  center: number;
  width: number;
}

/**
 * Named CT windows in Hounsfield units (center / width), the usual radiology reading settings:
 * lung -600 / 1500, mediastinum 50 / 350, bone 400 / 1800, brain 40 / 80.
 */
export const WINDOW_PRESETS: Readonly<Record<'lung' | 'mediastinum' | 'bone' | 'brain', Window>> = {
  lung: { center: -600, width: 1500 },
  mediastinum: { center: 50, width: 350 },
  bone: { center: 400, width: 1800 },
  brain: { center: 40, width: 80 },
};

export type WindowPreset = keyof typeof WINDOW_PRESETS;

/**
 * What to window with: a preset name, an explicit window, `'file'` (the file's first window, else the value
 * range of the frame) or `'auto'` (the value range of the frame: min maps to 0, max to 255).
 */
export type WindowSpec = WindowPreset | Window | 'file' | 'auto';

/** Parse `lung` / `-600,1500` / `file` / `auto` as typed on a command line; throws a message naming the choices. */
export function parseWindow(text: string): WindowSpec {
  if (text === 'file' || text === 'auto') return text;
  if (text in WINDOW_PRESETS) return text as WindowPreset;
  const m = /^\s*(-?[\d.]+)\s*,\s*([\d.]+)\s*$/.exec(text);
  if (m && Number(m[2]) >= 1) return { center: Number(m[1]), width: Number(m[2]) };
  throw new Error(`Window "${text}" is not one of ${Object.keys(WINDOW_PRESETS).join(', ')}, file, auto, or CENTER,WIDTH (width >= 1).`);
}

/** The window `spec` stands for on `values` of one frame (file window taken from `image`). */
export function resolveWindow(spec: WindowSpec, image: Pick<DicomImage, 'windowCenter' | 'windowWidth'>, values: ArrayLike<number>): Window {
  if (typeof spec === 'object') return spec;
  if (spec !== 'file' && spec !== 'auto') return WINDOW_PRESETS[spec];
  if (spec === 'file' && image.windowCenter !== null && image.windowWidth !== null && image.windowWidth >= 1) {
    return { center: image.windowCenter, width: image.windowWidth };
  }
  const { min, max } = pixelStats(values);
  // the linear function maps [c - 0.5 - (w-1)/2, c - 0.5 + (w-1)/2] to [0, 255]: put min and max there
  return { center: (min + max) / 2 + 0.5, width: Math.max(1, max - min + 1) };
}

/**
 * Map one value through the DICOM linear window to [0, 1]:
 * `x <= c - 0.5 - (w-1)/2 -> 0`, `x > c - 0.5 + (w-1)/2 -> 1`, else `((x - (c - 0.5)) / (w - 1) + 0.5)`.
 */
export function windowValue(x: number, w: Window): number {
  const lo = w.center - 0.5 - (w.width - 1) / 2;
  const hi = w.center - 0.5 + (w.width - 1) / 2;
  if (x <= lo) return 0;
  if (x > hi) return 1;
  return w.width <= 1 ? 1 : (x - (w.center - 0.5)) / (w.width - 1) + 0.5;
}

/** What a dataset built from DICOM files takes unless told otherwise: the file's own window, the first frame. */
export const DICOM_DEFAULTS: Readonly<{ window: WindowSpec; frame: number }> = Object.freeze({ window: 'file', frame: 0 });

/**
 * Window/normalise one frame to [0, 1] and give it the requested channels: `[rows, columns, channels]`. The step
 * every dataset built from DICOM takes (the CLI's folder reader, `loadDicomDataset`, and files dropped into a web
 * page, `datasetFromImageFiles`), so a file gives the same pixels either way. MONOCHROME1 is inverted (`1 - v`);
 * RGB becomes grey by luma weights 0.299/0.587/0.114 when `channels` is 1, grey is repeated when it is 3.
 */
export function toUnitImage(img: DicomImage, frame: number, spec: WindowSpec, channels: 1 | 3): Float32Array {
  const [frames, rows, columns, spp] = img.shape;
  if (frame >= frames) throw new Error(`frame ${frame} requested but the file has ${frames} frame(s).`);
  const n = rows * columns * spp;
  const values = img.pixels.subarray(frame * n, (frame + 1) * n);
  const w =
    img.colorSpace === 'RGB' && (spec === 'file' || spec === 'auto')
      ? img.bitsAllocated === 8
        ? { center: 128, width: 256 }
        : resolveWindow('auto', img, values)
      : resolveWindow(spec, img, values);
  const pixels = rows * columns;
  const out = new Float32Array(pixels * channels);
  const invert = img.colorSpace === 'MONOCHROME1';
  for (let p = 0; p < pixels; p++) {
    if (spp === 1) {
      let v = windowValue(values[p], w);
      if (invert) v = 1 - v;
      for (let c = 0; c < channels; c++) out[p * channels + c] = v;
    } else {
      const r = windowValue(values[p * 3], w);
      const g = windowValue(values[p * 3 + 1], w);
      const b = windowValue(values[p * 3 + 2], w);
      if (channels === 3) out.set([r, g, b], p * 3);
      else out[p] = 0.299 * r + 0.587 * g + 0.114 * b;
    }
  }
  return out;
}

/** An 8-bit image ready for PNG: `[height, width, channels]` flattened. */
export interface Image8 {
  width: number;
  height: number;
  channels: 1 | 3;
  data: Uint8Array;
  /** The window that was applied. */
  window: Window;
}

/**
 * Window frame `frame` (default 0) of a decoded image to 8 bits. Grey images use `spec` (default `'file'`);
 * MONOCHROME1 is inverted after windowing (`255 - v`) so that bright means dense, like MONOCHROME2.
 * RGB images use the same window on every sample; the default for 8-bit RGB is the identity (0..255).
 */
export function windowToUint8(image: DicomImage, spec: WindowSpec = 'file', frame = 0): Image8 {
  const [frames, rows, columns, spp] = image.shape;
  if (!Number.isInteger(frame) || frame < 0 || frame >= frames) {
    throw new Error(`Frame ${frame} does not exist: the image has ${frames} frame(s), numbered 0 to ${frames - 1}.`);
  }
  const n = rows * columns * spp;
  const values = image.pixels.subarray(frame * n, (frame + 1) * n);
  let w: Window;
  if (image.colorSpace === 'RGB' && spec === 'file') {
    w = image.bitsAllocated === 8 ? { center: 128, width: 256 } : resolveWindow('auto', image, values);
  } else {
    w = resolveWindow(spec, image, values);
  }
  const invert = image.colorSpace === 'MONOCHROME1';
  const data = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const v = Math.round(windowValue(values[i], w) * 255);
    data[i] = invert ? 255 - v : v;
  }
  return { width: columns, height: rows, channels: spp === 3 ? 3 : 1, data, window: w };
}
