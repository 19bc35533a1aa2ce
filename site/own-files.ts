/**
 * Reading a participant's folder of images in the page, picked (`<input type="file" webkitdirectory>`) or dropped:
 * each file's path inside the folder and its bytes, for `ownData` (site/lab.ts). Nothing leaves the page.
 */

/** A file with its path inside the chosen folder. */
export interface PathBytes {
  path: string;
  bytes: Uint8Array;
}

/** The files of a picked folder (their `webkitRelativePath` keeps the folder names). */
export async function readPickedFiles(list: FileList): Promise<PathBytes[]> {
  return Promise.all(Array.from(list).map(async (f) => ({ path: f.webkitRelativePath || f.name, bytes: new Uint8Array(await f.arrayBuffer()) })));
}

/** The parts of the file and directory entry API a drop uses (typed here: not every DOM typing has them). */
interface Entry {
  isFile: boolean;
  isDirectory: boolean;
  fullPath: string;
  file?(ok: (f: File) => void, fail: (e: unknown) => void): void;
  createReader?(): { readEntries(ok: (entries: Entry[]) => void, fail: (e: unknown) => void): void };
}

/** Every file under `entry`, walking folders (a reader returns its entries in batches until an empty one). */
async function walk(entry: Entry, out: PathBytes[]): Promise<void> {
  if (entry.isFile && entry.file) {
    const f = await new Promise<File>((ok, fail) => entry.file!(ok, fail));
    out.push({ path: entry.fullPath.replace(/^\//, ''), bytes: new Uint8Array(await f.arrayBuffer()) });
  } else if (entry.isDirectory && entry.createReader) {
    const reader = entry.createReader();
    for (;;) {
      const batch = await new Promise<Entry[]>((ok, fail) => reader.readEntries(ok, fail));
      if (batch.length === 0) break;
      for (const e of batch) await walk(e, out);
    }
  }
}

/** The files of dropped folders (or loose files, which then lack a class folder and are skipped by `ownData`). */
export async function readDroppedFiles(dt: DataTransfer): Promise<PathBytes[]> {
  const items = Array.from(dt.items) as unknown as { webkitGetAsEntry(): Entry | null }[];
  const entries = items.map((i) => i.webkitGetAsEntry()).filter((e): e is Entry => e !== null);
  const out: PathBytes[] = [];
  for (const e of entries) await walk(e, out);
  return out;
}
