/** A backbone with a new task head: how every stage and loader gives a pre-trained ViT a different class count. */
import * as tf from '@tensorflow/tfjs';
import { createViT, HEAD_PARAMS, type ViT } from './vit';

/**
 * A copy of `backbone` whose head has `classes` outputs (`head.weight` `[D, classes]`, freshly initialised from
 * `seed`); every other weight is copied. `backbone` is not modified; the caller disposes both.
 */
export function withNewHead(backbone: ViT, classes: number, seed: number): ViT {
  const model = createViT({ ...backbone.config, numClasses: classes }, { seed });
  const weights = backbone.getWeights('internal');
  try {
    for (const n of HEAD_PARAMS) {
      weights.get(n)!.dispose();
      weights.delete(n);
    }
    model.setWeights(weights, 'internal', true);
  } catch (e) {
    model.dispose();
    throw e;
  } finally {
    tf.dispose([...weights.values()]);
  }
  return model;
}
