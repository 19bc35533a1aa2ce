/**
 * Where each PEFT method acts in a transformer block, as a picture (SVG string). The places are not typed in by
 * hand: they are read from the names of the target parameters a method really creates (`applyPeft(vit, config)
 * .targetParameters()`), which follow the code's op sites (src/model/sites.ts): `blocks.i.attn.v.lora_A` is LoRA
 * on v, `blocks.i.adapter_attn.*` a sequential adapter after `attn.proj`, `blocks.i.adaptmlp.*` a parallel adapter
 * beside the MLP, `prompt_embeddings` prompt tokens, `*.bias` BitFit, `*.ssf_scale` SSF. So the figure follows the
 * code: change a method's defaults and the picture changes with it.
 *
 * Left: one pre-norm block (timm's `Block`) top to bottom, with the patch embedding before it and the final norm
 * after it. Right: one column per method, a badge on every row where the method has target parameters.
 */
import type { ViT } from '../model/vit';
import { applyPeft, type PeftConfig } from '../peft/index';
import { escapeHtml } from './images';
import { svgArrow, svgBox, svgDocument, svgText } from './svg';

/** A method to draw: its display name and the names of its target parameters. */
export interface MethodParameters {
  name: string;
  parameterNames: readonly string[];
}

/** The rows of the diagram, in forward order. */
export const DIAGRAM_SITES = [
  'patch_embed', 'tokens', 'norm1', 'qkv', 'attention', 'proj', 'after_attn', 'add_attn',
  'norm2', 'fc1', 'gelu', 'fc2', 'after_mlp', 'add_mlp', 'norm',
] as const;

/** One row of the diagram. */
export type DiagramSite = (typeof DIAGRAM_SITES)[number];

/** What the diagram shows for one method: per row, the badge text. `beside_mlp` is the parallel adapter's span. */
export interface MethodPlaces {
  name: string;
  badges: Map<DiagramSite | 'beside_mlp', string>;
}

const ROW_LABEL: Record<DiagramSite, string> = {
  patch_embed: 'patch embedding (patch_embed.proj)',
  tokens: 'tokens [cls, patches] + position',
  norm1: 'LayerNorm (norm1)',
  qkv: 'attn.qkv',
  attention: 'softmax(q·kᵀ/√d)·v per head',
  proj: 'attn.proj',
  after_attn: 'attention branch output',
  add_attn: '+ residual',
  norm2: 'LayerNorm (norm2)',
  fc1: 'mlp.fc1',
  gelu: 'GELU',
  fc2: 'mlp.fc2',
  after_mlp: 'MLP branch output',
  add_mlp: '+ residual',
  norm: 'final LayerNorm (norm)',
};

const OP_SITE: Record<string, DiagramSite> = {
  'norm1': 'norm1', 'attn.qkv': 'qkv', 'attn.q': 'qkv', 'attn.k': 'qkv', 'attn.v': 'qkv', 'attn.proj': 'proj',
  'norm2': 'norm2', 'mlp.fc1': 'fc1', 'mlp.fc2': 'fc2',
};

function rangeText(blocks: Set<number>, all: Set<number>): string {
  if (blocks.size === 0 || blocks.size === all.size) return '';
  return ` (blocks ${[...blocks].sort((a, b) => a - b).join(', ')})`;
}

/**
 * The rows where a method acts, from its target parameter names. Throws naming a parameter that has no place in
 * the diagram (the head's `head.*` are skipped: every method trains the head). `allBlocks`: the block indices of
 * the model (default: every block named by any parameter here), for "only in blocks …" notes.
 */
export function methodPlaces(method: MethodParameters, allBlocks?: ReadonlySet<number>): MethodPlaces {
  // per row: the kinds of parameter found (e.g. 'lora q') and the blocks they are in
  const found = new Map<DiagramSite | 'beside_mlp', { kinds: Set<string>; blocks: Set<number> }>();
  const add = (site: DiagramSite | 'beside_mlp', kind: string, block = -1) => {
    const f = found.get(site) ?? { kinds: new Set<string>(), blocks: new Set<number>() };
    f.kinds.add(kind);
    if (block >= 0) f.blocks.add(block);
    found.set(site, f);
  };
  const blocksSeen = new Set<number>();
  for (const name of method.parameterNames) {
    if (name.startsWith('head.')) continue;
    const m = /^blocks\.(\d+)\.(.+)$/.exec(name);
    if (!m) {
      if (name === 'prompt_embeddings') add('tokens', 'prompt shallow');
      else if (name === 'deep_prompt_embeddings') add('tokens', 'prompt deep');
      else if (name === 'cls_token' || name === 'pos_embed') add('tokens', 'weights');
      else if (/^patch_embed\.proj\.(weight|bias|ssf_scale|ssf_shift)$/.test(name)) add('patch_embed', kindOf(name));
      else if (/^norm\.(weight|bias|ssf_scale|ssf_shift)$/.test(name)) add('norm', kindOf(name));
      else throw new Error(`peft diagram: parameter "${name}" of ${method.name} has no place in the block diagram; pass target parameter names (peft.targetParameters().keys()).`);
      continue;
    }
    const block = Number(m[1]);
    blocksSeen.add(block);
    const rest = m[2];
    const adapter = /^(adaptmlp|adapter_attn|adapter_mlp)\./.exec(rest);
    if (adapter) {
      add(adapter[1] === 'adaptmlp' ? 'beside_mlp' : adapter[1] === 'adapter_attn' ? 'after_attn' : 'after_mlp', 'adapter', block);
      continue;
    }
    const op = /^(norm1|norm2|attn\.qkv|attn\.q|attn\.k|attn\.v|attn\.proj|mlp\.fc1|mlp\.fc2)\.(weight|bias|lora_A|lora_B|ssf_scale|ssf_shift)$/.exec(rest);
    if (!op) throw new Error(`peft diagram: parameter "${name}" of ${method.name} has no place in the block diagram (unknown op "${rest}").`);
    const site = OP_SITE[op[1]];
    const kind = kindOf(name);
    add(site, kind === 'lora' && op[1] !== 'attn.qkv' && site === 'qkv' ? `lora ${op[1].slice(5)}` : kind, block);
  }
  const all = allBlocks ?? blocksSeen;
  const badges = new Map<DiagramSite | 'beside_mlp', string>();
  for (const [site, f] of found) {
    const kinds = [...f.kinds];
    const where = rangeText(f.blocks, new Set(all));
    let text: string;
    if (kinds.some((k) => k.startsWith('lora'))) {
      const parts = kinds.filter((k) => k.startsWith('lora ')).map((k) => k.slice(5)).sort((a, b) => 'qkv'.indexOf(a) - 'qkv'.indexOf(b));
      text = parts.length > 0 && !kinds.includes('lora') ? `LoRA B·A on ${parts.join(', ')}` : 'LoRA B·A';
    } else if (kinds.includes('prompt deep')) text = 'prompts after cls,\nnew ones per block';
    else if (kinds.includes('prompt shallow')) text = 'prompts after cls,\nadded before block 0';
    else if (kinds.includes('adapter')) {
      text = site === 'beside_mlp' ? 'parallel adapter:\nreads the stream\nbefore norm2,\nadds scale × its\noutput to fc2\'s' : 'adapter\n(bottleneck + skip)';
    } else if (kinds.includes('ssf')) text = 'scale & shift';
    else if (kinds.includes('weights')) text = 'all weights';
    else if (kinds.includes('bias')) text = site.startsWith('norm') ? 'bias (β)' : 'bias';
    else text = kinds.join(', ');
    badges.set(site, text + where);
  }
  return { name: method.name, badges };
}

function kindOf(name: string): string {
  if (name.endsWith('.lora_A') || name.endsWith('.lora_B')) return 'lora';
  if (name.endsWith('.ssf_scale') || name.endsWith('.ssf_shift')) return 'ssf';
  if (name.endsWith('.bias')) return 'bias';
  return 'weights';
}

const ROW_H = 30;
const ROW_GAP = 6;
const TOP = 84;
const COL_W = 128;
const BLOCK_X = 40;
const BLOCK_W = 250;

const METHOD_COLOURS = ['#e66101', '#5e3c99', '#1b7837', '#b2182b', '#2166ac', '#8c510a', '#01665e', '#762a83'];

/**
 * One transformer block with the places of each method (`data-method`, `data-site` on every badge), as an SVG
 * document. `methods` are drawn left to right in the order given; `depth` (optional) is written in the block's
 * caption. Throws on a parameter with no place in the diagram.
 */
export function peftDiagramSvg(methods: readonly MethodParameters[], options: { depth?: number; title?: string } = {}): string {
  if (methods.length === 0) throw new Error('peftDiagramSvg: no methods to draw; pass { name, parameterNames } per method.');
  const blocks = new Set<number>();
  for (const m of methods) for (const n of m.parameterNames) { const b = /^blocks\.(\d+)\./.exec(n); if (b) blocks.add(Number(b[1])); }
  if (options.depth) for (let i = 0; i < options.depth; i++) blocks.add(i);
  const places = methods.map((m) => methodPlaces(m, blocks));
  // extra space above the block frame (its caption) and below it
  const rowY = (site: DiagramSite) => {
    const k = DIAGRAM_SITES.indexOf(site);
    return TOP + k * (ROW_H + ROW_GAP) + (k >= DIAGRAM_SITES.indexOf('norm1') ? 24 : 0) + (k > DIAGRAM_SITES.indexOf('add_mlp') ? 12 : 0);
  };
  // At least as wide as the title; the note below wraps to the width (about 5.8 px a character at 11 px).
  const width = Math.max(BLOCK_X + BLOCK_W + 30 + methods.length * COL_W + 10, 500);
  const note = wrapWords('Dashed boxes hold no weights. A badge marks where a method has target parameters (read from the parameters the code creates); the head is trained with every method and is not drawn.', Math.floor((width - 32) / 5.8));
  const height = rowY('norm') + ROW_H + 36 + 14 * note.length;
  const out: string[] = [];
  out.push(svgText(16, 26, options.title ?? 'Where each PEFT method acts in a transformer block', { anchor: 'start', size: 15, weight: 600 }));
  // the block frame (rows norm1 .. add_mlp)
  const f0 = rowY('norm1') - 26;
  const f1 = rowY('add_mlp') + ROW_H + 6;
  out.push(`<rect x="${BLOCK_X - 28}" y="${f0}" width="${BLOCK_W + 40}" height="${f1 - f0}" rx="8" fill="#fafafa" stroke="#888" stroke-dasharray="5 3"/>`);
  const depthText = options.depth ? `block i, i = 0 … ${options.depth - 1} (each block the same)` : 'block i (each block the same)';
  out.push(svgText(BLOCK_X - 20, f0 + 15, depthText, { anchor: 'start', size: 11, italic: true, color: '#555' }));
  for (const site of DIAGRAM_SITES) {
    const y = rowY(site);
    const slot = site === 'after_attn' || site === 'after_mlp';
    const noParams = site === 'attention' || site === 'gelu' || site.startsWith('add');
    if (site === 'qkv') {
      const w3 = BLOCK_W / 3;
      ['q', 'k', 'v'].forEach((p, k) => out.push(svgBox(BLOCK_X + k * w3, y, w3, ROW_H, `attn.qkv: ${p}`, { part: `qkv ${p}`, size: 11 })));
    } else if (site.startsWith('add')) {
      out.push(`<circle cx="${BLOCK_X + BLOCK_W / 2}" cy="${y + ROW_H / 2}" r="11" fill="#fff" stroke="#777"/>` + svgText(BLOCK_X + BLOCK_W / 2, y + ROW_H / 2 + 5, '+', { size: 15 }));
      out.push(svgText(BLOCK_X + BLOCK_W / 2 + 18, y + ROW_H / 2 + 4, 'residual add', { anchor: 'start', size: 10.5, color: '#555' }));
    } else {
      out.push(svgBox(BLOCK_X, y, BLOCK_W, ROW_H, ROW_LABEL[site], { part: site, size: 11, dashed: slot || noParams }));
    }
    const next = DIAGRAM_SITES[DIAGRAM_SITES.indexOf(site) + 1];
    if (next) out.push(svgArrow(BLOCK_X + BLOCK_W / 2, y + ROW_H, BLOCK_X + BLOCK_W / 2, rowY(next)));
    // thin guide to the method columns
    out.push(`<line x1="${BLOCK_X + BLOCK_W + 4}" y1="${y + ROW_H / 2}" x2="${width - 8}" y2="${y + ROW_H / 2}" stroke="#eee"/>`);
  }
  // residual connections: from the stream entering each branch to its add
  for (const [from, to] of [['norm1', 'add_attn'], ['norm2', 'add_mlp']] as const) {
    const y0 = rowY(from) - ROW_GAP / 2;
    const y1 = rowY(to) + ROW_H / 2;
    const x = BLOCK_X - 14;
    out.push(`<path d="M${BLOCK_X + BLOCK_W / 2},${y0} H${x} V${y1} H${BLOCK_X + BLOCK_W / 2 - 12}" fill="none" stroke="#777" stroke-width="1.4" marker-end="url(#tpp-arrow)"/>`);
  }
  // method columns
  places.forEach((p, i) => {
    const x = BLOCK_X + BLOCK_W + 30 + i * COL_W;
    const colour = METHOD_COLOURS[i % METHOD_COLOURS.length];
    // long names on two lines: "adapter (parallel)" → "adapter" / "(parallel)"
    const header = p.name.length > 14 ? p.name.replace(/ \(/, '\n(') : p.name;
    out.push(svgText(x + (COL_W - 8) / 2, TOP - (header.includes('\n') ? 26 : 12), header, { size: 12.5, weight: 600, color: colour }));
    for (const [site, text] of p.badges) {
      const y0 = site === 'beside_mlp' ? rowY('norm2') : rowY(site);
      const y1 = site === 'beside_mlp' ? rowY('after_mlp') + ROW_H : y0 + ROW_H;
      const lines = text.split('\n');
      const size = lines.length > 2 || text.length > 22 ? 10 : 11;
      const ty = (y0 + y1) / 2 - ((lines.length - 1) * 1.2 * size) / 2 + size * 0.35;
      out.push(`<g data-method="${escapeHtml(p.name)}" data-site="${site}"><rect x="${x}" y="${y0 + 1}" width="${COL_W - 8}" height="${y1 - y0 - 2}" rx="5" fill="${colour}" fill-opacity="0.14" stroke="${colour}" stroke-width="1.5"/>` +
        `${svgText(x + (COL_W - 8) / 2, ty, text, { size, color: '#222' })}</g>`);
    }
  });
  const noteY = rowY('norm') + ROW_H + 30;
  note.forEach((line, i) => out.push(svgText(16, noteY + 14 * i, line, { anchor: 'start', size: 11, color: '#555' })));
  return svgDocument(width, height, out.join(''), options.title ?? 'Where each PEFT method acts in a transformer block');
}

/** `text` in lines of at most `chars` characters, broken between words. */
function wrapWords(text: string, chars: number): string[] {
  const lines: string[] = [];
  for (const word of text.split(' ')) {
    const last = lines[lines.length - 1];
    if (last !== undefined && last.length + 1 + word.length <= chars) lines[lines.length - 1] = `${last} ${word}`;
    else lines.push(word);
  }
  return lines;
}

/**
 * The target parameter names of each method applied to `vit` (each applied, read and disposed in turn; the
 * backbone is not changed), ready for `peftDiagramSvg`: `peftDiagramSvg(methodParameters(vit, [['LoRA', cfg]]))`.
 */
export function methodParameters(vit: ViT, methods: readonly (readonly [string, PeftConfig])[]): MethodParameters[] {
  return methods.map(([name, config]) => {
    const peft = applyPeft(vit, config);
    try {
      return { name, parameterNames: [...peft.targetParameters().keys()] };
    } finally {
      peft.dispose();
    }
  });
}
