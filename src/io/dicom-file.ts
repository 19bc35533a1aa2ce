/**
 * DICOM files by path (Node): the bytes are read here and decoded by src/data/dicom/dicom.ts, which takes bytes
 * and so runs in a web page too. These `readDicom` / `readDicomTags` take a path or bytes.
 */
import { promises as fs } from 'fs';
import { DICOM_LIMITS } from '../data/dicom/dicom-pixels';
import { DicomError } from '../data/dicom/dicom-syntax';
import * as dicom from '../data/dicom/dicom';

/**
 * A file's bytes: only regular files (a device such as /dev/zero has no end, and opening a FIFO without a
 * writer blocks), at most `DICOM_LIMITS.maxFileBytes`.
 */
export async function readDicomBytes(path: string): Promise<Uint8Array> {
  const st = await fs.stat(path);
  if (!st.isFile()) throw new DicomError('not-a-file', `${path} is not a regular file (a device, FIFO, socket or folder); only regular files are read as DICOM.`);
  if (st.size > DICOM_LIMITS.maxFileBytes) {
    throw new DicomError('too-large', `${path} is ${st.size} bytes, more than the ${DICOM_LIMITS.maxFileBytes}-byte limit for one DICOM file; split the series into smaller files.`);
  }
  // dicom-parser's Node paths expect a Buffer; keep it one
  return fs.readFile(path);
}

/** Read a DICOM file (path) or its bytes and decode its pixel data; see `readDicom` in src/data/dicom/dicom.ts. */
export async function readDicom(source: string | Uint8Array, options: dicom.ReadDicomOptions = {}): Promise<dicom.DicomImage> {
  return dicom.readDicom(typeof source === 'string' ? await readDicomBytes(source) : source, options);
}

/** Only the tags of a DICOM file (path) or its bytes (no pixel decoding). */
export async function readDicomTags(source: string | Uint8Array, options: dicom.ReadDicomOptions = {}): Promise<dicom.DicomTags> {
  return dicom.readDicomTags(typeof source === 'string' ? await readDicomBytes(source) : source, options);
}
