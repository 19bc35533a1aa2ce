/**
 * DICOM transfer syntaxes: which ones `readDicom` decodes and how, and the error it throws for the rest.
 * UIDs and names follow DICOM PS3.6 Annex A.
 */

/** How the pixel data of a transfer syntax is stored. */
export type PixelEncoding = 'native' | 'rle' | 'jpeg-baseline' | 'jpeg-lossless' | 'unsupported';

/** One transfer syntax: its UID, its DICOM name, and how we read it. */
export interface TransferSyntax {
  uid: string;
  name: string;
  encoding: PixelEncoding;
  /** Big endian byte order of the data set and of native pixel data. */
  bigEndian?: boolean;
  /** The data set after the file meta information is deflated (raw DEFLATE, RFC 1951). */
  deflated?: boolean;
}

const SYNTAXES: readonly TransferSyntax[] = [
  { uid: '1.2.840.10008.1.2', name: 'Implicit VR Little Endian', encoding: 'native' },
  { uid: '1.2.840.10008.1.2.1', name: 'Explicit VR Little Endian', encoding: 'native' },
  { uid: '1.2.840.10008.1.2.1.99', name: 'Deflated Explicit VR Little Endian', encoding: 'native', deflated: true },
  { uid: '1.2.840.10008.1.2.2', name: 'Explicit VR Big Endian', encoding: 'native', bigEndian: true },
  { uid: '1.2.840.10008.1.2.5', name: 'RLE Lossless', encoding: 'rle' },
  { uid: '1.2.840.10008.1.2.4.50', name: 'JPEG Baseline (Process 1)', encoding: 'jpeg-baseline' },
  { uid: '1.2.840.10008.1.2.4.51', name: 'JPEG Extended (Process 2 & 4)', encoding: 'jpeg-baseline' },
  { uid: '1.2.840.10008.1.2.4.57', name: 'JPEG Lossless, Non-Hierarchical (Process 14)', encoding: 'jpeg-lossless' },
  {
    uid: '1.2.840.10008.1.2.4.70',
    name: 'JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14 [Selection Value 1])',
    encoding: 'jpeg-lossless',
  },
  { uid: '1.2.840.10008.1.2.4.80', name: 'JPEG-LS Lossless Image Compression', encoding: 'unsupported' },
  { uid: '1.2.840.10008.1.2.4.81', name: 'JPEG-LS Lossy (Near-Lossless) Image Compression', encoding: 'unsupported' },
  { uid: '1.2.840.10008.1.2.4.90', name: 'JPEG 2000 Image Compression (Lossless Only)', encoding: 'unsupported' },
  { uid: '1.2.840.10008.1.2.4.91', name: 'JPEG 2000 Image Compression', encoding: 'unsupported' },
  { uid: '1.2.840.10008.1.2.4.92', name: 'JPEG 2000 Part 2 Multi-component Image Compression (Lossless Only)', encoding: 'unsupported' },
  { uid: '1.2.840.10008.1.2.4.93', name: 'JPEG 2000 Part 2 Multi-component Image Compression', encoding: 'unsupported' },
  { uid: '1.2.840.10008.1.2.4.201', name: 'High-Throughput JPEG 2000 Image Compression (Lossless Only)', encoding: 'unsupported' },
  { uid: '1.2.840.10008.1.2.4.202', name: 'High-Throughput JPEG 2000 with RPCL Options Image Compression (Lossless Only)', encoding: 'unsupported' },
  { uid: '1.2.840.10008.1.2.4.203', name: 'High-Throughput JPEG 2000 Image Compression', encoding: 'unsupported' },
  { uid: '1.2.840.10008.1.2.4.100', name: 'MPEG2 Main Profile / Main Level', encoding: 'unsupported' },
  { uid: '1.2.840.10008.1.2.4.102', name: 'MPEG-4 AVC/H.264 High Profile / Level 4.1', encoding: 'unsupported' },
  { uid: '1.2.840.10008.1.2.4.110', name: 'JPEG XL Lossless', encoding: 'unsupported' },
];

const BY_UID = new Map(SYNTAXES.map((s) => [s.uid, s]));

/** The transfer syntax with this UID; an unknown UID is returned as `unsupported` with the name "unknown". */
export function transferSyntax(uid: string): TransferSyntax {
  return BY_UID.get(uid) ?? { uid, name: 'unknown transfer syntax', encoding: 'unsupported' };
}

/** Every transfer syntax we know, decoded or not (for docs and the CLI). */
export function knownTransferSyntaxes(): readonly TransferSyntax[] {
  return SYNTAXES;
}

/** What went wrong, as a stable code callers can switch on. */
export type DicomErrorCode =
  | 'not-dicom'
  | 'malformed'
  | 'truncated'
  | 'no-pixel-data'
  | 'unsupported-transfer-syntax'
  | 'unsupported-pixel-format'
  | 'not-a-file'
  | 'too-large';

/** Thrown by `readDicom` and friends. The message names the problem and, where there is one, the fix. */
export class DicomError extends Error {
  constructor(
    readonly code: DicomErrorCode,
    message: string,
    readonly transferSyntax?: { uid: string; name: string },
  ) {
    super(message);
    this.name = 'DicomError';
  }
}

/** `Name (UID)`, the way every error names a transfer syntax. */
export function describeSyntax(ts: { uid: string; name: string }): string {
  return `${ts.name} (${ts.uid})`;
}

/** The error for pixel data we cannot decode: names the syntax and says how to convert the file. */
export function unsupportedSyntaxError(ts: { uid: string; name: string }, detail = ''): DicomError {
  return new DicomError(
    'unsupported-transfer-syntax',
    `Cannot decode pixel data in transfer syntax ${describeSyntax(ts)}${detail ? `: ${detail}` : ''}. ` +
      'Decoded here: native (implicit/explicit VR, little/big endian, deflated), RLE Lossless, JPEG Baseline 8-bit ' +
      'and JPEG Lossless (Process 14). Convert the file first, e.g. `gdcmconv --raw in.dcm out.dcm` or ' +
      '`dcmdjpeg`/`dcmdjpls` from DCMTK.',
    { uid: ts.uid, name: ts.name },
  );
}
