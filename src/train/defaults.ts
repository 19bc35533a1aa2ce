/**
 * Default epochs, batch size and peak learning rate of each stage, in one place: the stages use them when an
 * option is not given, and the CLI shows and passes the same values (`tpp-lab <stage> --help`).
 */

/** The defaults of one stage. */
export interface StageDefaults {
  readonly epochs: number;
  readonly batchSize: number;
  /** Peak learning rate (AdamW, warm-up then cosine decay). */
  readonly lr: number;
}

/** Stage names with defaults. */
export type StageName = 'pretrain' | 'tpp' | 'finetune';

/**
 * Pre-training: MAE's base rate (1.5e-4 per 256 images, He et al. 2022) raised for a small model and batch;
 * TPP trains only the PEFT parameters; fine-tuning runs longer on few labels with a smaller batch.
 */
export const STAGE_DEFAULTS: { readonly [K in StageName]: StageDefaults } = Object.freeze({
  pretrain: Object.freeze({ epochs: 10, batchSize: 64, lr: 1.5e-3 }),
  tpp: Object.freeze({ epochs: 10, batchSize: 64, lr: 1e-3 }),
  finetune: Object.freeze({ epochs: 30, batchSize: 32, lr: 1e-3 }),
});
