/**
 * Read a DICOM file (Part 10, or a raw data set without preamble) into its main tags and pixel values.
 * Parsing is done by `dicom-parser`; pixel decoding (native, RLE, JPEG) is ours, see `dicom-pixels`,
 * `dicom-rle` and `dicom-jpeg`.
 *
 * Everything here takes bytes, so it runs in a web page too; `readDicom(path)` in Node is src/io/dicom-file.ts.
 *
 * ```ts
 * const ct = await readDicom(bytes);
 * ct.shape;  // [frames, rows, columns, samples] = [1, 128, 128, 1]
 * ct.pixels; // Hounsfield units (modality LUT applied), channels last
 * ```
 */
import * as dicomParser from 'dicom-parser';
import { applyModalityLut, decodeNative, DICOM_LIMITS, DicomPixelArray, checkLayout, PixelLayout, pixelDataBytes, samplesPerFrame } from './dicom-pixels';
import { concatBytes } from '../formats/bytes';
import { inflateRaw, InflateLimitError, inflateRawStream } from '../formats/inflate';
import { decodeRleFrame } from './dicom-rle';
import { decodeJpegBaselineFrame, decodeJpegLosslessFrame } from './dicom-jpeg';
import { DicomError, TransferSyntax, transferSyntax, unsupportedSyntaxError } from './dicom-syntax';

export { DicomError } from './dicom-syntax';
export type { DicomPixelArray } from './dicom-pixels';

/** Identifiers of the patient and the study; returned only when asked for (`includeIds: true`). */
export interface DicomIds {
  patientId: string | null;
  studyInstanceUid: string | null;
  seriesInstanceUid: string | null;
  sopInstanceUid: string | null;
}

/** The main tags of a DICOM image. Absent optional tags are `null`; absent rescale tags are 1 and 0. */
export interface DicomTags {
  modality: string | null;
  rows: number;
  columns: number;
  bitsAllocated: number;
  bitsStored: number;
  /** 0 unsigned, 1 signed (two's complement). */
  pixelRepresentation: number;
  photometricInterpretation: string;
  samplesPerPixel: number;
  planarConfiguration: number;
  numberOfFrames: number;
  transferSyntax: { uid: string; name: string };
  /** Row spacing, column spacing in mm (0028,0030). */
  pixelSpacing: [number, number] | null;
  /** The first window of (0028,1050) / (0028,1051) when several are given. */
  windowCenter: number | null;
  windowWidth: number | null;
  rescaleSlope: number;
  rescaleIntercept: number;
  /** Present only with `includeIds: true`. */
  ids?: DicomIds;
}

/**
 * A decoded image: tags plus pixel values after the modality LUT.
 *
 * `pixels` is laid out channels last, `[frames, rows, columns, samples]` (`shape`), planar data interleaved.
 * When the modality LUT is the identity it holds the stored values in their own type (`Uint16Array`,
 * `Int16Array`, ...); otherwise `value = stored * rescaleSlope + rescaleIntercept` as a `Float32Array`.
 *
 * MONOCHROME1 (higher value = darker) is NOT inverted in `pixels`: the values keep their physical meaning,
 * like the modality LUT output of any viewer. `colorSpace` says so, and the display path (`windowToUint8`)
 * and the dataset builder invert after windowing (`255 - v`, `1 - v`) so that bright means dense everywhere.
 */
export interface DicomImage extends DicomTags {
  pixels: DicomPixelArray;
  shape: [number, number, number, number];
  /** What `pixels` hold: grey (`MONOCHROME1` / `MONOCHROME2`) or `RGB` (YBR JPEG data is converted to RGB). */
  colorSpace: 'MONOCHROME1' | 'MONOCHROME2' | 'RGB';
}

/** Options of `readDicom`. */
export interface ReadDicomOptions {
  /** Also return patient/study/series/instance identifiers (`ids`). Default false. */
  includeIds?: boolean;
}

const PIXEL_DATA = 'x7fe00010';

/** Synchronous inflation of a deflated data set (`decodeDicom` on bytes), capped at `maxFileBytes`. */
function inflate(bytes: Uint8Array, position: number): Uint8Array {
  let body: Uint8Array;
  try {
    body = inflateRaw(bytes.subarray(position), { maxOutput: DICOM_LIMITS.maxFileBytes });
  } catch (e) {
    if (e instanceof InflateLimitError) throw new DicomError('too-large', `Deflated data set inflates to more than ${DICOM_LIMITS.maxFileBytes} bytes: a decompression bomb or a damaged file.`);
    throw new DicomError('malformed', `Deflated data set could not be inflated: ${(e as Error).message}. The file is damaged or truncated.`);
  }
  const out = new Uint8Array(position + body.length);
  out.set(bytes.subarray(0, position), 0);
  out.set(body, position);
  return out;
}

function parserMessage(e: unknown): string {
  if (typeof e === 'string') return e;
  if (e instanceof Error) return e.message;
  if (e && typeof e === 'object' && 'exception' in e) return String((e as { exception: unknown }).exception);
  return String(e);
}

/** Where a deflated data set starts (after the file meta group), or null when the syntax is not deflated. */
function deflatedStart(bytes: Uint8Array): number | null {
  let meta: dicomParser.DataSet;
  try {
    meta = dicomParser.readPart10Header(bytes as dicomParser.ByteArray);
  } catch {
    return null; // no meta group (a raw data set) or a damaged one: parseDataSet reports it
  }
  const uid = (meta.string('x00020010') ?? '').replace(/\0/g, '').trim();
  return transferSyntax(uid).deflated ? (meta as unknown as { position: number }).position : null;
}

/**
 * Inflate a deflated data set with a cap that its own header justifies: once the Pixel Data element is seen,
 * output may not pass its offset + Rows x Columns x frames x samples x bits/8 + `maxTrailerBytes`; before it,
 * `maxHeaderBytes`. A bomb (a small file declaring gigabytes of pixel "padding") stops at that bound.
 * Other files are returned as they are.
 */
async function inflateBounded(bytes: Uint8Array): Promise<Uint8Array> {
  const position = deflatedStart(bytes);
  if (position === null) return bytes;
  const chunks: Uint8Array[] = [bytes.subarray(0, position)];
  let total = position;
  let cap = position + DICOM_LIMITS.maxHeaderBytes;
  let capKnown = false;
  let probeAt = position + 65536;
  const probe = () => {
    const prefix = concatBytes(chunks);
    chunks.length = 0;
    chunks.push(prefix);
    let ds: dicomParser.DataSet;
    try {
      ds = dicomParser.parseDicom(prefix, { untilTag: PIXEL_DATA, inflater: (a: Uint8Array) => a } as dicomParser.ParseDicomOptions);
    } catch {
      return; // cut inside an element: look again with more output
    }
    const el = ds.elements[PIXEL_DATA];
    if (!el) return;
    const layout = layoutOf(tagsOf(ds));
    checkLayout(layout);
    cap = el.dataOffset + pixelDataBytes(layout) + 1 + DICOM_LIMITS.maxTrailerBytes;
    capKnown = true;
  };
  const src = bytes.subarray(position);
  try {
    inflateRawStream(src.length, (o, n) => src.subarray(o, o + n), (d) => {
      chunks.push(d);
      total += d.length;
      if (!capKnown && total >= probeAt) {
        probe();
        probeAt = total * 2;
      }
      if (total > cap) {
        throw new DicomError(
          capKnown ? 'malformed' : 'too-large',
          capKnown
            ? `Deflated data set inflates to more than the ${cap - position} bytes its image needs (Rows x Columns x frames x samples x bits, plus ${DICOM_LIMITS.maxTrailerBytes} bytes): a decompression bomb or a damaged file.`
            : `Deflated data set inflates past ${DICOM_LIMITS.maxHeaderBytes} bytes without reaching its Pixel Data: a decompression bomb or not an image.`,
        );
      }
      return true;
    });
  } catch (e) {
    if (e instanceof DicomError) throw e;
    throw new DicomError('malformed', `Deflated data set could not be inflated: ${(e as Error).message}. The file is damaged or truncated.`);
  }
  return concatBytes(chunks);
}

/**
 * Parse with dicom-parser, turning its string throws into `DicomError`s. `inflated`: a deflated data set was
 * already inflated (by `readDicom`, with a bound); else it is inflated here, capped at `maxFileBytes`.
 */
export function parseDataSet(bytes: Uint8Array, inflated = false): dicomParser.DataSet {
  const inflater = (arr: Uint8Array, position: number) => (inflated ? arr : inflate(arr, position));
  const rawStart = bytes.length >= 8 && bytes[0] === 0x08 && bytes[1] === 0x00;
  if (bytes.length < 132 && !rawStart) {
    throw new DicomError('not-dicom', `Not a DICOM file: ${bytes.length} bytes, too short for the 128-byte preamble and "DICM" marker.`);
  }
  try {
    return dicomParser.parseDicom(bytes, { inflater } as dicomParser.ParseDicomOptions);
  } catch (e) {
    if (e instanceof DicomError) throw e;
    const msg = parserMessage(e);
    if (/DICM prefix not found/.test(msg)) {
      // A raw data set without the 128-byte preamble: it must start with a group 0008 tag (little endian).
      if (rawStart) {
        const explicit = /^[A-Z]{2}$/.test(String.fromCharCode(bytes[4], bytes[5]));
        try {
          return dicomParser.parseDicom(bytes, { TransferSyntaxUID: explicit ? '1.2.840.10008.1.2.1' : '1.2.840.10008.1.2' });
        } catch (e2) {
          throw new DicomError('malformed', `Not a readable DICOM data set: ${parserMessage(e2)}`);
        }
      }
      throw new DicomError('not-dicom', 'Not a DICOM file: no "DICM" marker at byte 128 and no data set at the start.');
    }
    if (/(buffer overrun|past the end|beyond|attempt to read)/i.test(msg)) {
      throw new DicomError('truncated', `DICOM file is truncated: ${msg}`);
    }
    throw new DicomError('malformed', `DICOM file could not be parsed: ${msg}`);
  }
}

function str(ds: dicomParser.DataSet, tag: string): string | null {
  const v = ds.string(tag);
  return v === undefined || v === '' ? null : v;
}

function num(ds: dicomParser.DataSet, tag: string, index = 0): number | null {
  const v = ds.floatString(tag, index);
  return v === undefined || Number.isNaN(v) ? null : v;
}

function us(ds: dicomParser.DataSet, tag: string, fallback?: number): number {
  const v = ds.elements[tag] && ds.elements[tag].length >= 2 ? ds.uint16(tag) : undefined;
  if (v === undefined) {
    if (fallback !== undefined) return fallback;
    throw new DicomError('no-pixel-data', `Required image tag ${tag.slice(1, 5)},${tag.slice(5)} is missing: this is not an image.`);
  }
  return v;
}

/** The main tags of a parsed data set (no pixel decoding). */
export function tagsOf(ds: dicomParser.DataSet, includeIds = false): DicomTags {
  if (!ds.elements[PIXEL_DATA]) {
    const kind = str(ds, 'x00080060');
    throw new DicomError('no-pixel-data', `DICOM file has no Pixel Data (7FE0,0010)${kind ? ` (modality ${kind})` : ''}: nothing to read as an image.`);
  }
  const uid = (str(ds, 'x00020010') ?? '1.2.840.10008.1.2').replace(/\0/g, '').trim();
  const ts = transferSyntax(uid);
  const spacing = [num(ds, 'x00280030', 0), num(ds, 'x00280030', 1)];
  const tags: DicomTags = {
    modality: str(ds, 'x00080060'),
    rows: us(ds, 'x00280010'),
    columns: us(ds, 'x00280011'),
    bitsAllocated: us(ds, 'x00280100'),
    bitsStored: us(ds, 'x00280101', us(ds, 'x00280100')),
    pixelRepresentation: us(ds, 'x00280103', 0),
    photometricInterpretation: str(ds, 'x00280004') ?? 'MONOCHROME2',
    samplesPerPixel: us(ds, 'x00280002', 1),
    planarConfiguration: us(ds, 'x00280006', 0),
    numberOfFrames: Math.max(1, ds.intString('x00280008') || 1),
    transferSyntax: { uid: ts.uid, name: ts.name },
    pixelSpacing: spacing[0] !== null && spacing[1] !== null ? [spacing[0], spacing[1]] : null,
    windowCenter: num(ds, 'x00281050'),
    windowWidth: num(ds, 'x00281051'),
    rescaleSlope: num(ds, 'x00281053') ?? 1,
    rescaleIntercept: num(ds, 'x00281052') ?? 0,
  };
  if (includeIds) {
    tags.ids = {
      patientId: str(ds, 'x00100020'),
      studyInstanceUid: str(ds, 'x0020000d'),
      seriesInstanceUid: str(ds, 'x0020000e'),
      sopInstanceUid: str(ds, 'x00080018'),
    };
  }
  return tags;
}

function colorSpaceOf(tags: DicomTags, ts: TransferSyntax): DicomImage['colorSpace'] {
  const pi = tags.photometricInterpretation;
  if (tags.samplesPerPixel === 1 && (pi === 'MONOCHROME1' || pi === 'MONOCHROME2')) return pi;
  if (tags.samplesPerPixel === 3 && pi === 'RGB') return 'RGB';
  if (tags.samplesPerPixel === 3 && (pi === 'YBR_FULL' || pi === 'YBR_FULL_422') && ts.encoding === 'jpeg-baseline') return 'RGB';
  throw new DicomError(
    'unsupported-pixel-format',
    `Photometric Interpretation ${pi} with ${tags.samplesPerPixel} sample(s) per pixel in ${ts.name} (${ts.uid}) is not supported ` +
      '(MONOCHROME1/2, RGB, and YBR_FULL/YBR_FULL_422 inside JPEG are). Convert it to RGB first, e.g. with `gdcmconv --raw`.',
  );
}

function layoutOf(tags: DicomTags): PixelLayout {
  return {
    rows: tags.rows,
    columns: tags.columns,
    samplesPerPixel: tags.samplesPerPixel,
    bitsAllocated: tags.bitsAllocated,
    bitsStored: tags.bitsStored,
    pixelRepresentation: tags.pixelRepresentation,
    planarConfiguration: tags.planarConfiguration,
    frames: tags.numberOfFrames,
  };
}

/** The compressed bytes of frame `i` of encapsulated pixel data. */
function encapsulatedFrame(ds: dicomParser.DataSet, el: dicomParser.Element, i: number, frames: number, ts: TransferSyntax): Uint8Array {
  const fragments = el.fragments ?? [];
  if (fragments.length === 0) throw new DicomError('truncated', `Encapsulated pixel data (${ts.name}, ${ts.uid}) has no fragments.`, ts);
  for (const f of fragments) {
    if (f.position + f.length > ds.byteArray.length) {
      throw new DicomError('truncated', `Encapsulated pixel data runs past the end of the file (${ts.name}, ${ts.uid}): the file is truncated.`, ts);
    }
  }
  if (frames === 1) return dicomParser.readEncapsulatedPixelDataFromFragments(ds, el, 0, fragments.length);
  if (el.basicOffsetTable && el.basicOffsetTable.length === frames) return dicomParser.readEncapsulatedImageFrame(ds, el, i);
  if (fragments.length === frames) return dicomParser.readEncapsulatedPixelDataFromFragments(ds, el, i, 1);
  if (ts.encoding === 'jpeg-baseline' || ts.encoding === 'jpeg-lossless') {
    return dicomParser.readEncapsulatedImageFrame(ds, el, i, dicomParser.createJPEGBasicOffsetTable(ds, el));
  }
  throw new DicomError('malformed', `Cannot tell the ${frames} frames apart: ${fragments.length} fragments and no offset table (${ts.name}, ${ts.uid}).`, ts);
}

/** Decode all frames into native little-endian, interleaved bytes (or read native data as it is). */
function pixelBytes(ds: dicomParser.DataSet, tags: DicomTags, ts: TransferSyntax): { bytes: Uint8Array; bigEndian: boolean; planar: number } {
  const el = ds.elements[PIXEL_DATA];
  const l = layoutOf(tags);
  if (ts.encoding === 'unsupported') throw unsupportedSyntaxError(ts);
  if (ts.encoding === 'native') {
    if (el.encapsulatedPixelData) throw new DicomError('malformed', `Pixel data is encapsulated but the transfer syntax ${ts.name} (${ts.uid}) is not compressed.`, ts);
    const end = Math.min(el.dataOffset + el.length, ds.byteArray.length);
    let bytes: Uint8Array = ds.byteArray.subarray(el.dataOffset, end);
    if (ts.bigEndian && l.bitsAllocated === 8 && el.vr === 'OW') {
      // 8-bit samples in an OW element are stored as 16-bit words, so big endian swaps each pair (PS3.5 8.2)
      bytes = Uint8Array.from(bytes);
      for (let i = 0; i + 1 < bytes.length; i += 2) [bytes[i], bytes[i + 1]] = [bytes[i + 1], bytes[i]];
    }
    return { bytes, bigEndian: !!ts.bigEndian, planar: l.planarConfiguration };
  }
  if (!el.encapsulatedPixelData) throw new DicomError('malformed', `Transfer syntax ${ts.name} (${ts.uid}) needs encapsulated pixel data, but it is native.`, ts);
  const bytesPerFrame = samplesPerFrame(l) * (l.bitsAllocated / 8);
  const all = new Uint8Array(bytesPerFrame * l.frames);
  for (let f = 0; f < l.frames; f++) {
    const frame = encapsulatedFrame(ds, el, f, l.frames, ts);
    let decoded: Uint8Array;
    if (ts.encoding === 'rle') decoded = decodeRleFrame(frame, l.rows * l.columns, l.samplesPerPixel, l.bitsAllocated / 8);
    else if (ts.encoding === 'jpeg-baseline') decoded = decodeJpegBaselineFrame(frame, l, ts, tags.photometricInterpretation);
    else decoded = decodeJpegLosslessFrame(frame, l, ts);
    if (decoded.length !== bytesPerFrame) {
      throw new DicomError('malformed', `Frame ${f} decoded to ${decoded.length} bytes, expected ${bytesPerFrame} (${ts.name}, ${ts.uid}).`, ts);
    }
    all.set(decoded, f * bytesPerFrame);
  }
  return { bytes: all, bigEndian: false, planar: 0 };
}

/** Parse and decode DICOM bytes (see `readDicom`; a deflated data set is inflated with a 1 GiB cap here). */
export function decodeDicom(bytes: Uint8Array, options: ReadDicomOptions = {}): DicomImage {
  return decodeDataSet(parseDataSet(bytes), options);
}

function decodeDataSet(ds: dicomParser.DataSet, options: ReadDicomOptions): DicomImage {
  const tags = tagsOf(ds, options.includeIds);
  const ts = transferSyntax(tags.transferSyntax.uid);
  checkLayout(layoutOf(tags));
  const colorSpace = colorSpaceOf(tags, ts);
  const { bytes: raw, bigEndian, planar } = pixelBytes(ds, tags, ts);
  const stored = decodeNative(raw, { ...layoutOf(tags), planarConfiguration: planar }, bigEndian);
  const pixels = applyModalityLut(stored, tags.rescaleSlope, tags.rescaleIntercept);
  return {
    ...tags,
    pixels,
    shape: [tags.numberOfFrames, tags.rows, tags.columns, tags.samplesPerPixel],
    colorSpace,
  };
}

/**
 * Decode a DICOM file's bytes: its tags and pixel data (a file by path in Node: src/io/dicom-file.ts).
 *
 * Decoded transfer syntaxes: implicit/explicit VR little endian, deflated explicit VR little endian, explicit
 * VR big endian, RLE Lossless, JPEG Baseline/Extended with 8-bit precision, JPEG Lossless Process 14. Others
 * (JPEG-LS, JPEG 2000, HTJ2K, 12-bit JPEG, video) throw a `DicomError` with code
 * `unsupported-transfer-syntax` that names the syntax and its UID. Truncated or malformed files throw
 * `DicomError` (`truncated`, `malformed`, `not-dicom`, `no-pixel-data`), never partial pixels.
 */
export async function readDicom(source: Uint8Array, options: ReadDicomOptions = {}): Promise<DicomImage> {
  const bytes = await inflateBounded(source);
  return decodeDataSet(parseDataSet(bytes, true), options);
}

/** Only the tags (no pixel decoding): works for files whose pixel data we cannot decode. */
export async function readDicomTags(source: Uint8Array, options: ReadDicomOptions = {}): Promise<DicomTags> {
  const bytes = await inflateBounded(source);
  return tagsOf(parseDataSet(bytes, true), options.includeIds);
}

