/** `tpp-lab dicom`: the tags and pixel statistics of a DICOM file (or each file of a folder), and a windowed PNG. */
import { promises as fs } from 'fs';
import * as path from 'path';
import { UsageError } from '../args';
import { Command } from '../command';
import { DicomError, DicomImage, DicomTags } from '../../data/dicom/dicom';
import { readDicom, readDicomTags } from '../../io/dicom-file';
import { listFilesSorted } from '../../io/dicom-dataset';
import { pixelStats, PixelStats } from '../../data/dicom/dicom-pixels';
import { parseWindow, Window, WindowSpec, windowToUint8 } from '../../data/dicom/dicom-window';
import { encodePng } from '../../data/formats/png-write';

/** The `--json` object for one file. Keys are stable; see docs/cli-dicom.md. */
export interface DicomReport {
  file: string;
  modality: string | null;
  rows: number | null;
  columns: number | null;
  frames: number | null;
  samplesPerPixel: number | null;
  bitsAllocated: number | null;
  bitsStored: number | null;
  pixelRepresentation: number | null;
  photometricInterpretation: string | null;
  planarConfiguration: number | null;
  transferSyntax: { uid: string; name: string } | null;
  pixelSpacing: [number, number] | null;
  windowCenter: number | null;
  windowWidth: number | null;
  rescaleSlope: number | null;
  rescaleIntercept: number | null;
  /** After the modality LUT, over all frames and samples; null when the pixels could not be decoded. */
  pixel: PixelStats | null;
  ids?: DicomTags['ids'];
  png?: { path: string; frame: number; window: Window };
  /** Present when the file could not be read or decoded. */
  error?: { code: string; message: string };
}

function reportOf(file: string, tags: DicomTags | null, stats: PixelStats | null, ids: boolean): DicomReport {
  const r: DicomReport = {
    file,
    modality: tags?.modality ?? null,
    rows: tags?.rows ?? null,
    columns: tags?.columns ?? null,
    frames: tags?.numberOfFrames ?? null,
    samplesPerPixel: tags?.samplesPerPixel ?? null,
    bitsAllocated: tags?.bitsAllocated ?? null,
    bitsStored: tags?.bitsStored ?? null,
    pixelRepresentation: tags?.pixelRepresentation ?? null,
    photometricInterpretation: tags?.photometricInterpretation ?? null,
    planarConfiguration: tags?.planarConfiguration ?? null,
    transferSyntax: tags?.transferSyntax ?? null,
    pixelSpacing: tags?.pixelSpacing ?? null,
    windowCenter: tags?.windowCenter ?? null,
    windowWidth: tags?.windowWidth ?? null,
    rescaleSlope: tags?.rescaleSlope ?? null,
    rescaleIntercept: tags?.rescaleIntercept ?? null,
    pixel: stats,
  };
  if (ids) r.ids = tags?.ids;
  return r;
}

/** Read one file into a report; errors become `report.error` (the image is returned when decoded). */
export async function inspectDicom(file: string, ids = false): Promise<{ report: DicomReport; image: DicomImage | null }> {
  try {
    const image = await readDicom(file, { includeIds: ids });
    return { report: reportOf(file, image, pixelStats(image.pixels), ids), image };
  } catch (e) {
    let tags: DicomTags | null = null;
    try {
      tags = await readDicomTags(file, { includeIds: ids });
    } catch {
      // the header itself is unreadable: report without tags
    }
    const report = reportOf(file, tags, null, ids);
    report.error = { code: e instanceof DicomError ? e.code : 'error', message: (e as Error).message ?? String(e) };
    return { report, image: null };
  }
}

const fmt = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(3));

function printReport(r: DicomReport): void {
  const rows: [string, string][] = [
    ['file', r.file],
    ['modality', r.modality ?? '-'],
    ['size', r.rows === null ? '-' : `${r.rows} x ${r.columns}, ${r.frames} frame(s), ${r.samplesPerPixel} sample(s)/pixel`],
    ['bits', r.bitsAllocated === null ? '-' : `${r.bitsAllocated} allocated, ${r.bitsStored} stored, ${r.pixelRepresentation ? 'signed' : 'unsigned'}`],
    ['photometric', r.photometricInterpretation ?? '-'],
    ['syntax', r.transferSyntax ? `${r.transferSyntax.name} (${r.transferSyntax.uid})` : '-'],
    ['spacing', r.pixelSpacing ? `${r.pixelSpacing[0]} x ${r.pixelSpacing[1]} mm` : '-'],
    ['window', r.windowCenter !== null ? `center ${r.windowCenter}, width ${r.windowWidth}` : '-'],
    ['rescale', r.rescaleSlope !== null ? `slope ${r.rescaleSlope}, intercept ${r.rescaleIntercept}` : '-'],
    ['pixel', r.pixel ? `min ${fmt(r.pixel.min)}, max ${fmt(r.pixel.max)}, mean ${fmt(r.pixel.mean)} (modality LUT applied, all frames)` : '-'],
  ];
  if (r.ids) for (const [k, v] of Object.entries(r.ids)) rows.push([k, v ?? '-']);
  if (r.png) rows.push(['png', `${r.png.path} (frame ${r.png.frame}, window ${fmt(r.png.window.center)}/${fmt(r.png.window.width)})`]);
  for (const [k, v] of rows) console.log(`${k.padEnd(13)}${v}`);
}

async function runFolder(dir: string, json: boolean, ids: boolean): Promise<number> {
  const files = await listFilesSorted(dir);
  const reports: DicomReport[] = [];
  for (const f of files) {
    const { report } = await inspectDicom(f, ids);
    report.file = path.relative(dir, f).split(path.sep).join('/');
    reports.push(report);
    if (!json) {
      const r = report;
      const what = r.error
        ? `FAILED ${r.error.code}: ${r.error.message.split('. ')[0]}`
        : `${r.modality ?? '-'} ${r.rows}x${r.columns}x${r.samplesPerPixel} ${r.frames}f ${r.transferSyntax?.name} ` +
          `min ${fmt(r.pixel!.min)} max ${fmt(r.pixel!.max)} mean ${fmt(r.pixel!.mean)}`;
      console.log(`${r.file}  ${what}`);
    }
  }
  // files that are not DICOM at all are listed but do not fail the run; DICOM files that fail do
  const failed = reports.filter((r) => r.error && r.error.code !== 'not-dicom');
  const notDicom = reports.filter((r) => r.error?.code === 'not-dicom').length;
  const byCode = new Map<string, number>();
  for (const r of failed) byCode.set(r.error!.code, (byCode.get(r.error!.code) ?? 0) + 1);
  const summary = {
    files: reports.length,
    read: reports.length - failed.length - notDicom,
    failed: failed.length,
    notDicom,
    failures: Object.fromEntries(byCode),
  };
  if (json) console.log(JSON.stringify({ folder: dir, summary, files: reports }, null, 2));
  else {
    const why = [...byCode.entries()].map(([c, n]) => `${n} ${c}`).join(', ');
    console.log(`${summary.files} files: ${summary.read} read, ${summary.failed} failed${why ? ` (${why})` : ''}, ${notDicom} not DICOM`);
  }
  return failed.length ? 1 : 0;
}

export const command: Command = {
  name: 'dicom',
  summary: 'Show the tags and pixel statistics of DICOM files; render a windowed PNG',
  usage: 'dicom <file|folder> [--json] [--png out.png] [--window PRESET|C,W] [--frame N] [--ids]',
  description:
    'Pixel statistics are after the modality LUT (rescale slope/intercept), over all frames.\n' +
    'Window presets (center/width, HU): lung -600/1500, mediastinum 50/350, bone 400/1800, brain 40/80;\n' +
    '"file" uses the file\'s window (else the image range), "auto" the image range. MONOCHROME1 is inverted in the PNG.\n' +
    'A folder is read recursively: one line per file and a summary. Exit code 1 when a DICOM file cannot be read or decoded\n(files that are not DICOM at all are listed and counted, but do not fail the run).',
  maxPositionals: 1,
  flags: [
    { name: 'json', type: 'boolean', help: 'print JSON (keys documented in docs/cli-dicom.md)' },
    { name: 'png', type: 'string', value: 'FILE', help: 'write the windowed frame as an 8-bit PNG (single file only)' },
    { name: 'window', type: 'string', value: 'PRESET|C,W', help: 'lung, mediastinum, bone, brain, file, auto, or CENTER,WIDTH', default: 'file' },
    { name: 'frame', type: 'int', value: 'N', help: 'frame to render with --png (0-based)', default: 0, min: 0 },
    { name: 'ids', type: 'boolean', help: 'also show patient/study/series/instance ids' },
  ],
  async run({ flags, positionals }) {
    const target = positionals[0];
    if (!target) throw new UsageError('Name a DICOM file or a folder.');
    let spec: WindowSpec;
    try {
      spec = parseWindow(String(flags.window));
    } catch (e) {
      throw new UsageError(`--window: ${(e as Error).message}`);
    }
    const json = !!flags.json;
    const ids = !!flags.ids;
    const stat = await fs.stat(target).catch(() => null);
    if (!stat) {
      console.error(`tpp-lab dicom: "${target}" does not exist.`);
      return 1;
    }
    if (stat.isDirectory()) {
      if (flags.png) throw new UsageError('--png needs a single file, not a folder.');
      return runFolder(target, json, ids);
    }
    const { report, image } = await inspectDicom(target, ids);
    if (image && flags.png) {
      const frame = Number(flags.frame);
      if (frame < 0 || frame >= image.numberOfFrames) {
        throw new UsageError(`--frame ${frame} does not exist: the file has ${image.numberOfFrames} frame(s), 0 to ${image.numberOfFrames - 1}.`);
      }
      const img8 = windowToUint8(image, spec, frame);
      const out = String(flags.png);
      const tmp = `${out}.tmp-${process.pid}`;
      await fs.writeFile(tmp, encodePng(img8));
      await fs.rename(tmp, out);
      report.png = { path: out, frame, window: img8.window };
    }
    if (json) console.log(JSON.stringify(report, null, 2));
    else if (!report.error) printReport(report);
    if (report.error) {
      console.error(`tpp-lab dicom: ${target}: ${report.error.message}`);
      return 1;
    }
    return 0;
  },
};
