/**
 * Notebooks import `src/` through tslab, whose module loader fails on two things Node tolerates: an import that
 * names a folder (`'../peft'` instead of `'../peft/index'`) and an import cycle (a stack overflow). Both are
 * checked here over every runtime import of `src/` (type-only imports are erased by TypeScript).
 * Layering is checked over every import, type-only ones included: the training step (src/step) and the worker
 * threads (src/parallel) sit below the training stages (src/train) and import nothing from them.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { builtinModules } from 'node:module';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { ROOT } from './helpers';

const SRC = path.join(ROOT, 'src');

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(p) : e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

/** Relative runtime imports of a file, resolved to files (or to a folder, which is the error we look for). */
function runtimeImports(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const out: string[] = [];
  const re = /^\s*(import|export)\s+(type\s+)?([^'";]*?)\s*from\s*['"](\.[^'"]+)['"]/gm;
  for (const m of text.matchAll(re)) {
    if (m[2]) continue; // `import type` / `export type`: erased
    const names = m[3];
    // `import { type A, type B } from`: erased too when every name is a type.
    const braces = /^\{([^}]*)\}$/.exec(names.trim());
    if (braces && braces[1].split(',').map((s) => s.trim()).filter(Boolean).every((n) => n.startsWith('type '))) continue;
    out.push(path.resolve(path.dirname(file), m[4]));
  }
  return out;
}

/** Every relative import in `text`, the source of `file` (type-only ones too), resolved to paths relative to `src/`. */
function allImports(file: string, text = fs.readFileSync(file, 'utf8')): string[] {
  const specs = [...text.matchAll(/(?:^|\s)(?:import|export)\b[^'";]*?from\s*['"](\.[^'"]+)['"]/gm), ...text.matchAll(/import\(\s*['"](\.[^'"]+)['"]\s*\)/g)];
  return specs.map((m) => path.relative(SRC, path.resolve(path.dirname(file), m[1])));
}

/** The Node built-ins that `text` imports, re-exports, `import()`s or `require`s (`fs`, `node:fs`, `stream/promises`...). */
function nodeBuiltins(text: string): string[] {
  const specs = [
    ...text.matchAll(/(?:^|\s)(?:import|export)\b[^'";]*?from\s*['"]([^'".][^'"]*)['"]/gm),
    ...text.matchAll(/(?:import|require)\(\s*['"]([^'".][^'"]*)['"]\s*\)/g),
  ].map((m) => m[1]);
  return specs.filter((s) => s.startsWith('node:') || builtinModules.includes(s));
}

describe('layers of src/', () => {
  // [folder, folders it must not import from]
  const rules: [string, string[]][] = [
    ['step', ['train', 'parallel', 'bench', 'cli']],
    ['parallel', ['train', 'bench', 'cli']],
    // The grid and the study (src/grid) sit above the training stages and below reports and the CLI; analysis and
    // I/O sit below the stages.
    ['train', ['grid', 'report', 'cli']],
    ['analysis', ['train', 'grid', 'report', 'cli']],
    ['io', ['train', 'grid', 'report', 'cli']],
    ['grid', ['report', 'cli']],
    ['report', ['cli']],
  ];
  for (const [folder, forbidden] of rules) {
    test(`src/${folder} imports nothing from ${forbidden.map((f) => `src/${f}`).join(', ')}`, () => {
      const bad: string[] = [];
      for (const f of sourceFiles(path.join(SRC, folder))) {
        for (const i of allImports(f)) if (forbidden.includes(i.split(path.sep)[0])) bad.push(`${path.relative(ROOT, f)} imports src/${i}`);
      }
      assert.deepEqual(bad, []);
    });
  }

  // src/data runs in a web page: it reads bytes, and the files come from src/io (which imports src/data, never the
  // reverse), so the two folders never import each other.
  test('src/data imports no Node built-in and nothing from src/io', () => {
    const files = sourceFiles(path.join(SRC, 'data'));
    assert.ok(files.some((f) => f.endsWith(path.join('data', 'formats', 'npz.ts'))) && files.length > 30, 'the scan sees src/data');
    const bad: string[] = [];
    for (const f of files) {
      const text = fs.readFileSync(f, 'utf8');
      for (const spec of nodeBuiltins(text)) bad.push(`${path.relative(ROOT, f)} imports the Node built-in '${spec}' (read files in src/io and pass bytes or a ByteSource)`);
      for (const i of allImports(f, text)) if (i.split(path.sep)[0] === 'io') bad.push(`${path.relative(ROOT, f)} imports src/${i} (src/io sits above src/data: move the file-reading part to src/io)`);
    }
    assert.deepEqual(bad, []);
  });

  test('the built-in scan sees every spelling (the rule above can fail)', () => {
    const text = "import * as fs from 'fs';\nimport { pipeline } from 'node:stream/promises';\nexport { x } from './zip';\nconst z = require('zlib');\nconst h = import('https');\nimport * as jpeg from 'jpeg-js';\n";
    assert.deepEqual(nodeBuiltins(text), ['fs', 'node:stream/promises', 'zlib', 'https']);
  });

  test('the import scan sees type-only and dynamic imports (the rules above can fail)', () => {
    const text = "import type { FitSpec } from '../train/loop';\nimport {\n  a,\n  b,\n} from '../train/common';\nexport const m = import('../train/tpp');\n";
    const probe = path.join(SRC, 'parallel', 'probe.ts');
    assert.deepEqual(allImports(probe, text), ['loop', 'common', 'tpp'].map((f) => path.join('train', f)));
  });
});

describe('a core that runs in a web page', () => {
  const NODE = /(?:^|\s)(?:import|export)\b[^'";]*?from\s*['"](?:node:)?(fs|path|zlib|crypto|os|worker_threads|child_process)['"]/m;
  // The grid's files (compare*, tpp-shared, settings-fingerprint, study-plan) are moving out of src/train (issue 22).
  const GRID = /^(compare.*|tpp-shared|settings-fingerprint|study-plan)\.ts$/;
  test('the training stages and src/data/sets import no Node built-in (files go through src/io)', () => {
    const files = [...sourceFiles(path.join(SRC, 'train')).filter((f) => !GRID.test(path.basename(f))), ...sourceFiles(path.join(SRC, 'data', 'sets'))];
    assert.ok(files.some((f) => f.endsWith(path.join('train', 'loop.ts'))) && files.length > 20, 'the scan sees the stages');
    const bad = files.filter((f) => NODE.test(fs.readFileSync(f, 'utf8'))).map((f) => path.relative(ROOT, f));
    assert.deepEqual(bad, []);
    assert.ok(NODE.test("import * as fs from 'fs';") && NODE.test("import { createHash } from 'node:crypto';"), 'the pattern sees both spellings');
  });
});

describe('imports that tslab can load', () => {
  const files = sourceFiles(SRC);
  const graph = new Map<string, string[]>();
  for (const f of files) graph.set(f, runtimeImports(f));

  test('no import names a folder (write ../peft/index, not ../peft)', () => {
    const bad: string[] = [];
    for (const [f, imports] of graph) {
      for (const i of imports) if (fs.existsSync(i) && fs.statSync(i).isDirectory()) bad.push(`${path.relative(ROOT, f)} imports the folder ${path.relative(ROOT, i)}`);
    }
    assert.deepEqual(bad, []);
  });

  test('no import cycles among src/ files', () => {
    const resolved = new Map([...graph].map(([f, is]) => [f, is.map((i) => (fs.existsSync(`${i}.ts`) ? `${i}.ts` : i)).filter((i) => graph.has(i))]));
    const state = new Map<string, 'open' | 'done'>();
    const cycles: string[] = [];
    const visit = (f: string, stack: string[]) => {
      if (state.get(f) === 'done') return;
      if (state.get(f) === 'open') {
        cycles.push([...stack.slice(stack.indexOf(f)), f].map((x) => path.relative(SRC, x)).join(' → '));
        return;
      }
      state.set(f, 'open');
      for (const g of resolved.get(f)!) visit(g, [...stack, f]);
      state.set(f, 'done');
    };
    for (const f of resolved.keys()) visit(f, []);
    assert.deepEqual(cycles, []);
  });
});

describe('the public entry', () => {
  test('package.json\'s main is src/index.ts, and it loads and exports the stages, the PEFT registry and the data loaders', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    assert.equal(pkg.main, 'src/index.ts');
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const api = require(path.join(ROOT, pkg.main));
    for (const name of ['initBackend', 'loadData', 'loadMedMNISTSplits', 'loadDicomDataset', 'openBackbone', 'createViT', 'withNewHead', 'peftConfig', 'applyPeft',
      'PEFT_METHODS', 'pretrainMAE', 'targetParameterPretrain', 'finetune', 'STAGE_DEFAULTS', 'runCompare', 'parseLabelBudget', 'fitToBackbone']) {
      assert.ok(api[name] !== undefined, `src/index exports ${name}`);
    }
  });

  test('notebooks import library code only through ./src/index (and ./src/viz/notebook, which needs the kernel)', () => {
    const bad: string[] = [];
    for (const name of fs.readdirSync(path.join(ROOT, 'notebooks')).filter((n) => n.endsWith('.ipynb'))) {
      const nb = JSON.parse(fs.readFileSync(path.join(ROOT, 'notebooks', name), 'utf8'));
      for (const cell of nb.cells) {
        if (cell.cell_type !== 'code') continue;
        for (const m of (cell.source as string[]).join('').matchAll(/from\s+["'](\.\/src\/[^"']*)["']/g)) {
          if (m[1] !== './src/index' && m[1] !== './src/viz/notebook') bad.push(`${name}: ${m[1]}`);
        }
      }
    }
    assert.deepEqual(bad, []);
  });
});
