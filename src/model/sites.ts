/**
 * The op sites of the ViT: every linear layer and LayerNorm that the forward pass runs through `afterOp` hooks
 * (see hooks.ts), with its name and shape, in forward order. One list: the builders make a block's parameters
 * from it (ViT encoder and MAE decoder), `transformerBlock` names its ops from it, and the PEFT methods derive
 * their candidate targets from it (LoRA: the blocks' linear layers and the q, k, v thirds of the fused qkv; SSF:
 * every site).
 */
import type { ViTConfig } from './config';
import { patchValues } from './config';

/** One op site: a linear layer or a LayerNorm. */
export interface OpSite {
  /** Full name, the prefix of its parameters (`blocks.3.attn.qkv` → `blocks.3.attn.qkv.weight`). */
  readonly name: string;
  readonly kind: 'linear' | 'norm';
  /** Input and output widths (equal for a norm). */
  readonly fanIn: number;
  readonly fanOut: number;
  /** Block number, for sites inside a transformer block. */
  readonly block?: number;
  /**
   * Equal parts the output is made of, side by side, named beside the site: the fused `blocks.3.attn.qkv` is
   * `blocks.3.attn.q`, `.k`, `.v` (timm's layout).
   */
  readonly parts?: readonly string[];
}

/** Names of a block's sites relative to its prefix, in forward order. */
export const BLOCK_SITES = Object.freeze({
  norm1: 'norm1',
  qkv: 'attn.qkv',
  proj: 'attn.proj',
  norm2: 'norm2',
  fc1: 'mlp.fc1',
  fc2: 'mlp.fc2',
} as const);

/** Full names of block `prefix`'s sites (`blockSiteNames('blocks.3').qkv` is `blocks.3.attn.qkv`). */
export function blockSiteNames(prefix: string): { readonly [K in keyof typeof BLOCK_SITES]: string } {
  const out = {} as Record<keyof typeof BLOCK_SITES, string>;
  for (const [k, v] of Object.entries(BLOCK_SITES)) out[k as keyof typeof BLOCK_SITES] = `${prefix}.${v}`;
  return out;
}

/**
 * The sites of one pre-norm block of width `dim` with an MLP of `mlpDim`, in forward order: norm1, attn.qkv
 * (`[D, 3D]`, parts q, k, v), attn.proj, norm2, mlp.fc1, mlp.fc2.
 */
export function blockSites(prefix: string, index: number, dim: number, mlpDim: number): OpSite[] {
  const s = blockSiteNames(prefix);
  return [
    { name: s.norm1, kind: 'norm', fanIn: dim, fanOut: dim, block: index },
    { name: s.qkv, kind: 'linear', fanIn: dim, fanOut: 3 * dim, block: index, parts: ['q', 'k', 'v'] },
    { name: s.proj, kind: 'linear', fanIn: dim, fanOut: dim, block: index },
    { name: s.norm2, kind: 'norm', fanIn: dim, fanOut: dim, block: index },
    { name: s.fc1, kind: 'linear', fanIn: dim, fanOut: mlpDim, block: index },
    { name: s.fc2, kind: 'linear', fanIn: mlpDim, fanOut: dim, block: index },
  ];
}

/** The patch embedding's site (a dense layer on flattened patches). */
export const PATCH_EMBED_SITE = 'patch_embed.proj';
/** The encoder's final LayerNorm. */
export const FINAL_NORM_SITE = 'norm';

/** Every op site of a ViT encoder, in forward order: `patch_embed.proj`, each block's six, then `norm`. */
export function vitOpSites(config: ViTConfig): OpSite[] {
  const { dim: d, mlpDim, depth } = config;
  const out: OpSite[] = [{ name: PATCH_EMBED_SITE, kind: 'linear', fanIn: patchValues(config), fanOut: d }];
  for (let i = 0; i < depth; i++) out.push(...blockSites(`blocks.${i}`, i, d, mlpDim));
  out.push({ name: FINAL_NORM_SITE, kind: 'norm', fanIn: d, fanOut: d });
  return out;
}
