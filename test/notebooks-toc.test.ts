/**
 * The series' table of contents (docs/tutorials.md): written by the notebook runner from notebooks/series.json and
 * the times it measured, never typed by hand.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { recordTime, SERIES_FILE, TIMES_FILE, TOC_FILE, tocMarkdown, type SeriesEntry } from '../scripts/run-notebooks';
import { ROOT, tempDir } from './helpers';

const series = (JSON.parse(fs.readFileSync(SERIES_FILE, 'utf8')) as { notebooks: SeriesEntry[] }).notebooks;

describe('the series table of contents', () => {
  test('series.json lists every notebook, in order, each with what it teaches and needs', () => {
    const files = fs.readdirSync(path.join(ROOT, 'notebooks')).filter((f) => f.endsWith('.ipynb')).sort();
    assert.deepEqual(series.map((e) => e.file), files);
    for (const e of series) assert.ok(e.teaches.length > 20 && e.needs.length > 0, `${e.file} says what it teaches and needs`);
  });

  test('recordTime keeps each profile\'s last time and writes the table from them', () => {
    const dir = tempDir();
    const times = path.join(dir, 'times.json');
    const toc = path.join(dir, 'toc.md');
    recordTime('05-finetune-with-and-without-tpp.ipynb', 'quick', 56.24, times, toc);
    recordTime('05-finetune-with-and-without-tpp.ipynb', 'full', 125.4, times, toc);
    recordTime('04-tpp.ipynb', 'quick', 34.2, times, toc);
    const stored = JSON.parse(fs.readFileSync(times, 'utf8'));
    assert.deepEqual(Object.keys(stored), ['04-tpp.ipynb', '05-finetune-with-and-without-tpp.ipynb']);
    assert.equal(stored['05-finetune-with-and-without-tpp.ipynb'].quick.seconds, 56.2);
    assert.equal(stored['05-finetune-with-and-without-tpp.ipynb'].full.seconds, 125.4);
    const md = fs.readFileSync(toc, 'utf8');
    const row = md.split('\n').find((l) => l.startsWith('| [05-finetune'))!;
    assert.match(row, /\| 2 min 5 s \(\d{4}-\d\d-\d\d, \d+ cores\) \| 56 s \(/);
    assert.match(md.split('\n').find((l) => l.startsWith('| [00-setup'))!, /not measured yet \| not measured yet \|$/);
    assert.equal(md.split('\n').filter((l) => l.startsWith('| [')).length, series.length);
  });

  test('the committed table is the one the committed times give', () => {
    const stored = fs.existsSync(TIMES_FILE) ? JSON.parse(fs.readFileSync(TIMES_FILE, 'utf8')) : {};
    assert.equal(fs.readFileSync(TOC_FILE, 'utf8'), tocMarkdown(series, stored), 'docs/tutorials.md is stale: run `npm run notebooks -- --toc`');
  });
});
