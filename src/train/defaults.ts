/**
 * Default epochs, batch size, peak learning rate and weight decay of each stage, in one place: the stages use them
 * when an option is not given, and the CLI shows and passes the same values (`tpp-lab <stage> --help`).
 */

/** The defaults of one stage. */
export interface StageDefaults {
  readonly epochs: number;
  readonly batchSize: number;
  /** Peak learning rate (AdamW, warm-up then cosine decay). */
  readonly lr: number;
  /** AdamW's decoupled weight decay. */
  readonly weightDecay: number;
}

/** Stage names with defaults (`segment`: fine-tuning with a segmentation head). */
export type StageName = 'pretrain' | 'tpp' | 'finetune' | 'segment';

/** AdamW's weight decay where a stage does not set its own (the training loop's default too). */
export const DEFAULT_WEIGHT_DECAY = 0.05;

/**
 * Pre-training: MAE's base rate (1.5e-4 per 256 images, He et al. 2022) raised for a small model and batch;
 * TPP trains only the PEFT parameters, with a lighter weight decay; fine-tuning runs longer on few labels with a
 * smaller batch; segmentation takes fewer, larger images per batch.
 */
export const STAGE_DEFAULTS: { readonly [K in StageName]: StageDefaults } = Object.freeze({
  pretrain: Object.freeze({ epochs: 10, batchSize: 64, lr: 1.5e-3, weightDecay: DEFAULT_WEIGHT_DECAY }),
  tpp: Object.freeze({ epochs: 10, batchSize: 64, lr: 1e-3, weightDecay: 0.01 }),
  finetune: Object.freeze({ epochs: 30, batchSize: 32, lr: 1e-3, weightDecay: DEFAULT_WEIGHT_DECAY }),
  segment: Object.freeze({ epochs: 30, batchSize: 16, lr: 1e-3, weightDecay: DEFAULT_WEIGHT_DECAY }),
});
