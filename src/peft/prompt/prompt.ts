/**
 * Visual prompt tuning: P learned tokens placed right after the class token, `[cls, prompts, patches]`, with no
 * position embedding (as in VPT). Shallow: inserted before block 0 and carried through. Deep: block 0 inserts
 * them, and before every later block the previous block's prompt outputs are replaced by that block's own
 * prompts. The backbone drops them after the final norm, so the head and `encode()`'s tokens never see them.
 * Names: `prompt_embeddings` `[1, P, D]` (block 0) and, for deep, `deep_prompt_embeddings` `[depth-1, P, D]`.
 */
import * as tf from '@tensorflow/tfjs';
import type { ForwardContext } from '../../model/hooks';
import { ParamStore } from '../../model/params';
import type { ViT } from '../../model/vit';
import type { ApplyOptions, PeftMethod, PeftModule } from '../method';
import { PROMPT_DEFAULTS, PROMPT_OPTIONS, validatePromptConfig, type PromptConfig } from './config';

function applyPrompt(model: ViT, config: PromptConfig, options: ApplyOptions): PeftModule {
  validatePromptConfig(config);
  const { dim: d, depth, patchSize: p } = model.config;
  const n = config.tokens;
  // VPT's Xavier-uniform bound over (3 * P * P, D).
  const limit = Math.sqrt(6 / (3 * p * p + d));
  const store = new ParamStore('prompt', options.seed);
  const first = store.add('prompt_embeddings', [1, n, d], { kind: 'uniform', limit });
  let deep: tf.Variable | null = null;
  const points = [`prompt_embeddings: ${n} tokens inserted after the class token before blocks.0`];
  if (config.depth === 'deep' && depth > 1) {
    deep = store.add('deep_prompt_embeddings', [depth - 1, n, d], { kind: 'uniform', limit });
    points.push(`deep_prompt_embeddings: ${n} new tokens replace the prompts before each of blocks.1..${depth - 1}`);
  }
  points.push(`prompts removed after the final norm (head and encoder output see [cls, patches] only)`);

  const beforeBlock = (block: number, x: tf.Tensor3D, _ctx: ForwardContext): tf.Tensor3D => {
    const [batch, t] = x.shape;
    let prompts: tf.Tensor;
    let rest: tf.Tensor;
    if (block === 0) {
      prompts = first;
      rest = tf.slice(x, [0, 1, 0], [batch, t - 1, d]);
    } else if (deep) {
      prompts = tf.slice(deep, [block - 1, 0, 0], [1, n, d]);
      rest = tf.slice(x, [0, 1 + n, 0], [batch, t - 1 - n, d]);
    } else {
      return x;
    }
    // Broadcast to the batch by adding zeros (tile's gradient is slow on wasm).
    const batchPrompts = tf.add(prompts, tf.zeros([batch, n, d]));
    return tf.concat([tf.slice(x, [0, 0, 0], [batch, 1, d]), batchPrompts, rest], 1) as tf.Tensor3D;
  };

  return { hooks: { beforeBlock, promptTokens: n }, params: store.params, layouts: store.layouts, ownsParams: true, insertionPoints: points };
}

/** The visual-prompt-tuning method for the registry. */
export const PROMPT: PeftMethod<PromptConfig> = {
  name: 'prompt',
  description: 'Visual prompt tuning: learned tokens after the class token, shallow or deep',
  options: PROMPT_OPTIONS,
  defaults: PROMPT_DEFAULTS,
  validate: validatePromptConfig,
  apply: applyPrompt,
};
