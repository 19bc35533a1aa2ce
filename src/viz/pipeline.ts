/**
 * The three stages of Target Parameter Pre-training as a picture (SVG string), drawn from the same facts the
 * code follows (src/train: `pretrainMAE`, `targetParameterPretrain`, `finetune`):
 * 1. backbone pre-training: MAE on natural images, every backbone weight and the decoder trained;
 * 2. TPP: the backbone frozen bit for bit, only the PEFT method's target parameters trained with MAE on
 *    unlabelled target images (the decoder from stage 1 reused, frozen by default);
 * 3. fine-tuning: the target parameters (starting from TPP's) and a new head trained on a few labelled images.
 * Trained parts are orange, frozen ones hatched grey-blue; a legend says so. Show it in a notebook with
 * `showSvg(pipelineSvg())`; `scripts/draw-figures.ts` writes it to docs/img/tpp-pipeline.svg.
 */
import { svgArrow, svgBox, svgDocument, svgStateLegend, svgText, type PartState } from './svg';

/** Texts of `pipelineSvg` (defaults describe the bundled `imagenet28` backbone and a breast-ultrasound target). */
export interface PipelineOptions {
  /** Stage 1's images. */
  pretrainData?: string;
  /** Stage 2's images. */
  targetData?: string;
  /** Stage 3's images. */
  labelledData?: string;
  /** What the target parameters are. */
  method?: string;
  /** Blocks drawn per backbone (default 4, the tutorial preset's depth). */
  blocks?: number;
}

/** One stage of the figure: its title and the state of each model part it has (absent parts are left out). */
export interface PipelineStage {
  readonly title: string;
  readonly parts: { readonly backbone: PartState; readonly target?: PartState; readonly decoder?: PartState; readonly head?: PartState };
}

/** What each stage trains. */
export const PIPELINE_STAGES: readonly PipelineStage[] = Object.freeze<PipelineStage[]>([
  { title: '1 · Backbone pre-training', parts: { backbone: 'trained', decoder: 'trained' } },
  { title: '2 · Target Parameter Pre-training', parts: { backbone: 'frozen', target: 'trained', decoder: 'frozen' } },
  { title: '3 · Fine-tuning', parts: { backbone: 'frozen', target: 'trained', head: 'trained' } },
]);

const W = 300;
const GAP = 36;
const LEFT = 16;
/** Height of a stage panel with 4 blocks (28 px more per extra block). */
const PANEL_H = 362;

function stage(i: number, o: Required<PipelineOptions>): string {
  const s = PIPELINE_STAGES[i];
  const x = LEFT + i * (W + GAP);
  const out: string[] = [`<g data-stage="${i}">`, `<rect x="${x}" y="12" width="${W}" height="${PANEL_H + (o.blocks - 4) * 28}" rx="8" fill="none" stroke="#ccc"/>`];
  out.push(svgText(x + W / 2, 36, s.title, { size: 15, weight: 600 }));
  const data = [o.pretrainData, o.targetData, o.labelledData][i];
  out.push(svgBox(x + 20, 50, W - 40, 42, data, { part: 'data', size: 11.5 }));
  out.push(svgArrow(x + W / 2 - 40, 92, x + W / 2 - 40, 112));
  // the backbone: a frame with its blocks, target parameters beside each block where the stage has them
  const bb = s.parts.backbone;
  const frameY = 112;
  const blockH = 22;
  const frameH = 34 + o.blocks * (blockH + 6);
  out.push(`<g data-part="backbone" data-state="${bb}"><rect x="${x + 14}" y="${frameY}" width="${W - 28}" height="${frameH}" rx="6" fill="none" stroke="#777" stroke-dasharray="${bb === 'frozen' ? '4 3' : 'none'}"/>`);
  out.push(svgText(x + 22, frameY + 16, bb === 'frozen' ? 'ViT backbone: from stage 1, frozen' : 'ViT backbone: random start, all weights trained', { anchor: 'start', size: 11, italic: true }));
  out.push('</g>');
  const hasTarget = s.parts.target !== undefined;
  const blockW = hasTarget ? 130 : W - 64;
  for (let b = 0; b < o.blocks; b++) {
    const y = frameY + 26 + b * (blockH + 6);
    out.push(svgBox(x + 24, y, blockW, blockH, `block ${b}`, { state: bb, part: `block ${b}`, size: 11 }));
    if (hasTarget) {
      out.push(svgBox(x + 24 + blockW + 10, y, W - 48 - blockW - 10, blockH, i === 1 ? 'target params' : 'target params', { state: s.parts.target, part: `target ${b}`, size: 10.5 }));
    }
  }
  const belowY = frameY + frameH;
  out.push(svgArrow(x + W / 2 - 40, belowY, x + W / 2 - 40, belowY + 20));
  const endY = belowY + 20;
  if (s.parts.decoder) {
    out.push(svgBox(x + 20, endY, W - 40, 40, s.parts.decoder === 'trained' ? 'MAE decoder (trained)' : 'MAE decoder from stage 1 (frozen)', { state: s.parts.decoder, part: 'decoder', size: 11.5 }));
    out.push(svgText(x + W / 2, endY + 60, 'loss: fill in the hidden 75 % of the patches', { size: 11.5 }));
  } else {
    out.push(svgBox(x + 20, endY, W - 40, 40, 'classification head (new)', { state: s.parts.head, part: 'head', size: 11.5 }));
    out.push(svgText(x + W / 2, endY + 60, 'loss: predict the label', { size: 11.5 }));
  }
  const trains = ['trains: every backbone weight + decoder', `trains: only the ${o.method} (new)`, `trains: the ${o.method} (from TPP) + head`][i];
  out.push(svgText(x + W / 2, endY + 80, trains, { size: 11.5, weight: 600 }));
  out.push('</g>');
  return out.join('');
}

/**
 * The three-stage TPP pipeline as an SVG document (1004 x 414 px with 4 blocks): one panel per stage (`data-stage` 0..2), each
 * with its data, the backbone's blocks, the target parameters, the decoder or head, the loss and what is trained;
 * every model part carries `data-part` and `data-state` (`trained` / `frozen`). Arrows between panels carry the
 * backbone (and TPP's target parameters) forward.
 */
export function pipelineSvg(options: PipelineOptions = {}): string {
  const o: Required<PipelineOptions> = {
    pretrainData: options.pretrainData ?? 'natural photos, no labels\n(Tiny-ImageNet: the imagenet28 backbone)',
    targetData: options.targetData ?? 'unlabelled target images\n(e.g. breast ultrasound)',
    labelledData: options.labelledData ?? 'a few labelled target images\n(e.g. 20 ultrasound images + labels)',
    method: options.method ?? 'target parameters',
    blocks: options.blocks ?? 4,
  };
  if (!Number.isInteger(o.blocks) || o.blocks < 1 || o.blocks > 12) throw new Error(`pipelineSvg: blocks must be an integer from 1 to 12, got ${o.blocks}.`);
  const width = LEFT * 2 + 3 * W + 2 * GAP;
  const frameMid = 112 + (34 + o.blocks * 28) / 2;
  const extra = (o.blocks - 4) * 28;
  const body = [0, 1, 2].map((i) => stage(i, o)).join('') +
    [0, 1].map((i) => svgArrow(LEFT + (i + 1) * W + i * GAP + 2, frameMid, LEFT + (i + 1) * (W + GAP) - 2, frameMid)).join('') +
    svgStateLegend(LEFT + 4, PANEL_H + 38 + extra, [['trained', 'trained in this stage'], ['frozen', 'frozen: weights kept bit for bit']]) +
    svgText(width - LEFT, PANEL_H + 38 + extra, 'arrows between panels: the weights carried to the next stage', { anchor: 'end', size: 11, color: '#555' });
  return svgDocument(width, PANEL_H + 52 + extra, body, 'Target Parameter Pre-training in three stages');
}
