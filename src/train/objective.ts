/**
 * The supervised objective of fine-tuning, by task: how many logits the head has, the loss, and the scores the
 * metrics read. Its own module so that both the fine-tuning stage and its worker task (finetune-task.ts) import
 * it without importing each other (tslab's module loader cannot follow import cycles).
 */
import { tf } from '../backend';
import { Dataset, numClasses } from '../data/sets/dataset';
import type { TaskKind } from './metrics';

/** How a dataset's task is trained and scored. */
export function taskKind(ds: Dataset): TaskKind {
  if (ds.task === 'multi-label, binary-class') return 'multilabel';
  return numClasses(ds) === 2 ? 'binary' : 'multiclass';
}

/** Output width of the head: 1 logit for binary tasks, one per class or label otherwise. */
export function headSize(ds: Dataset): number {
  return taskKind(ds) === 'binary' ? 1 : numClasses(ds);
}

/** Training loss of logits `[B, K]` for labels as `batches` yields them (int32 `[B]` or float `[B, K]`). */
export function taskLoss(kind: TaskKind, logits: tf.Tensor2D, y: tf.Tensor, classes: number): tf.Scalar {
  if (kind === 'multiclass') {
    // int32 one-hot cast to float (tf.oneHot's float32 output is wrong on wasm); labels are constants.
    const onehot = tf.oneHot(y as tf.Tensor1D, classes).cast('float32');
    return tf.neg(tf.mean(tf.sum(tf.mul(onehot, tf.logSoftmax(logits)), 1))) as tf.Scalar;
  }
  const z = kind === 'binary' ? y.cast('float32').reshape([-1, 1]) : y.cast('float32');
  // Binary cross-entropy with logits, in the stable form max(x, 0) - x z + log(1 + exp(-|x|)).
  const x = logits;
  return tf.mean(tf.add(tf.sub(tf.relu(x), tf.mul(x, z)), tf.log1p(tf.exp(tf.neg(tf.abs(x)))))) as tf.Scalar;
}

/** Class scores from logits: sigmoid for binary (`[N]`, P(class 1)) and multi-label, softmax for multi-class. */
export function scoresFromLogits(kind: TaskKind, logits: tf.Tensor2D): tf.Tensor2D {
  return kind === 'multiclass' ? tf.softmax(logits) : tf.sigmoid(logits);
}

