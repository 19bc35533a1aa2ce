/**
 * `node --import tsx scripts/draw-figures.ts [--check]`
 *
 * Writes the diagrams the README and docs show, drawn by the library's code: docs/img/tpp-pipeline.svg (the three
 * TPP stages, `pipelineSvg`) and docs/img/peft-block.svg (where each PEFT method with its default settings acts
 * in a block of the tutorial ViT, `peftDiagramSvg`). `--check` writes nothing and exits 1 if a file differs from
 * what the code draws now (test/viz-diagrams.test.ts runs the same comparison).
 */
import * as fs from 'fs';
import * as path from 'path';
import { vitConfig } from '../src/model/config';
import { createViT } from '../src/model/vit';
import { peftConfig, type PeftConfig } from '../src/peft/index';
import { methodParameters, peftDiagramSvg } from '../src/viz/peft-diagram';
import { pipelineSvg } from '../src/viz/pipeline';

const ROOT = path.resolve(__dirname, '..');

/** The methods of docs/img/peft-block.svg: every method with target parameters of its own or in the blocks, defaults. */
export const DOC_METHODS: readonly (readonly [string, PeftConfig])[] = [
  ['LoRA', peftConfig('lora')],
  ['adapter (parallel)', peftConfig('adapter', { style: 'parallel' })],
  ['adapter (sequential)', peftConfig('adapter', { style: 'sequential' })],
  ['prompt (deep)', peftConfig('prompt', { depth: 'deep' })],
  ['BitFit', peftConfig('bitfit')],
  ['SSF', peftConfig('ssf')],
];

/** Repository-relative path → SVG text of every drawn figure. */
export function docFigures(): Record<string, string> {
  const config = vitConfig('tutorial', { numClasses: 2 });
  const vit = createViT(config, { seed: 0 });
  try {
    return {
      'docs/img/tpp-pipeline.svg': pipelineSvg() + '\n',
      'docs/img/peft-block.svg': peftDiagramSvg(methodParameters(vit, DOC_METHODS), { depth: config.depth }) + '\n',
    };
  } finally {
    vit.dispose();
  }
}

function main(): number {
  const check = process.argv.includes('--check');
  let stale = 0;
  for (const [rel, text] of Object.entries(docFigures())) {
    const file = path.join(ROOT, rel);
    const same = fs.existsSync(file) && fs.readFileSync(file, 'utf8') === text;
    if (check) {
      if (!same) stale++;
      console.log(`${same ? 'up to date' : 'STALE'}  ${rel}`);
      continue;
    }
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.tmp-${process.pid}`;
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, file);
    console.log(`wrote ${rel} (${text.length.toLocaleString('en-US')} bytes)`);
  }
  if (stale) console.log(`${stale} figure(s) differ from the code: run node --import tsx scripts/draw-figures.ts`);
  return stale ? 1 : 0;
}

if (require.main === module) process.exitCode = main();
