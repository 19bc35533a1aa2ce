/**
 * The one training loop every stage uses (MAE pre-training, TPP, fine-tuning). A stage says what to train
 * (an explicit map of variables), how to get the batches of an epoch and how to compute the loss of one; this
 * loop does the rest, in the order the style card asks: learning rate from a pure `lrAt(step)`, then the one
 * training step of src/step/step.ts (forward and backward, a non-finite check, clipping, the AdamW update,
 * disposal), then a progress event.
 *
 * Every epoch ends with an evaluation (when given), early-stopping bookkeeping and an atomic checkpoint of the
 * whole training state (parameters, optimiser moments, best parameters, history) into the stage's file store
 * (`CHECKPOINT_FILE`). `resume: true` continues from it. Randomness must depend only on (seed, epoch, step) — batches(epoch) and loss(batch, step) — so a
 * resumed run ends with the same weights as one that was never interrupted.
 */
import { tf } from '../backend';
import { decodeSafetensors, encodeSafetensors, entryToFloat32, type TensorToWrite } from '../checkpoint/safetensors';
import { whereIs, type FileStore } from '../io/store';
import { AdamW } from '../step/optimizer';
import { computeGradients, type LossAndGrads, trainStep } from '../step/step';
import { DEFAULT_WEIGHT_DECAY } from './defaults';
import { lrAt, Schedule } from './schedule';
import { describeDiff } from './settings-fingerprint';
import { checkRecord } from './settings-record';

export { NonFiniteLossError } from '../step/step';

/** A progress event: one per step (`kind: 'step'`) and one per finished epoch (`kind: 'epoch'`). */
export interface TrainProgress {
  kind: 'step' | 'epoch' | 'resume';
  stage: string;
  epoch: number;
  epochs: number;
  /** Global step, 1-based after the step. */
  step: number;
  totalSteps: number;
  loss: number;
  lr: number;
  imagesPerSecond: number;
  /** Seconds left at the current speed. */
  etaSeconds: number;
  /** Mean training loss of the epoch and the evaluation metrics, on `epoch` events. */
  epochLoss?: number;
  metrics?: Record<string, number>;
}

/** One finished epoch. */
export interface EpochRecord {
  epoch: number;
  loss: number;
  lr: number;
  seconds: number;
  metrics: Record<string, number>;
}

/** What to train and how. `B` is the stage's batch type. */
export interface FitSpec<B> {
  /** Stage name, for progress events, errors and the checkpoint (`mae`, `tpp`, `finetune`). */
  stage: string;
  /** Exactly the variables the optimiser updates (nothing else changes). */
  params: Map<string, tf.Variable>;
  epochs: number;
  stepsPerEpoch: number;
  /** The batches of epoch `epoch` (0-based); deterministic in the seed and the epoch. */
  batches(epoch: number): Iterable<B>;
  /** The scalar loss of one batch; `step` is the global 0-based step (seed per-step randomness with it). */
  loss(batch: B, step: number): tf.Scalar;
  /** Number of images in a batch (for throughput). */
  batchSize(batch: B): number;
  /** Free a batch's tensors. */
  dispose(batch: B): void;
  /**
   * Where the loss and the gradients of a batch come from. Default: `computeGradients` (src/step/step.ts) of `loss`
   * on this thread.
   * A stage passes e.g. `WorkerGradients` (src/parallel) to split each batch over worker threads; the result
   * must be the gradient of the same mean loss w.r.t. `params`, keyed by their names (the loop disposes it).
   */
  gradients?(batch: B, step: number): Promise<LossAndGrads>;
  /** Evaluation after each epoch (e.g. validation metrics). */
  evaluate?(epoch: number): Promise<Record<string, number>>;
  /** Peak learning rate, warm-up steps (default 5% of all steps) and final ratio (default 0.01). */
  lr: number;
  warmupSteps?: number;
  minLrRatio?: number;
  /** AdamW's weight decay (default `DEFAULT_WEIGHT_DECAY`, ./defaults). */
  weightDecay?: number;
  /** A learning-rate factor per parameter name (see AdamWOptions.lrScale); default 1 for all. */
  lrScale?: (name: string) => number;
  /** Clip gradients to this global L2 norm (default 1; 0 disables). */
  clipNorm?: number;
  /** Early stopping on an evaluation metric, restoring the best epoch's parameters at the end. */
  monitor?: { metric: string; mode: 'max' | 'min'; patience?: number };
  /** Where to write the training state after each epoch (`CHECKPOINT_FILE`, atomic); needed for `resume`. */
  files?: FileStore;
  /** Continue from the checkpoint in `files` when there is one. */
  resume?: boolean;
  /** Free-form metadata stored in the checkpoint (JSON-serialisable), e.g. config and seed. */
  meta?: Record<string, unknown>;
  signal?: AbortSignal;
  onProgress?: (p: TrainProgress) => void;
}

export interface FitResult {
  history: EpochRecord[];
  /** Epoch whose parameters the model holds at the end (the best one when `monitor` is set). */
  bestEpoch: number;
  best: number | null;
  stoppedEarly: boolean;
  steps: number;
  /** Epoch the run started from (0 unless resumed). */
  startEpoch: number;
}

const STATE_FORMAT = 'tpp-lab/train-state';

/** The key of the training state in a stage's file store. */
export const CHECKPOINT_FILE = 'checkpoint.safetensors';

interface TrainState {
  epoch: number; // epochs completed
  step: number;
  history: EpochRecord[];
  best: number | null;
  bestEpoch: number;
  badEpochs: number;
}

/** Train `spec.params` and return the history. The caller owns the params; this loop only assigns to them. */
export async function fit<B>(spec: FitSpec<B>): Promise<FitResult> {
  if (!(spec.epochs >= 1) || !(spec.stepsPerEpoch >= 1)) {
    throw new Error(`${spec.stage}: need at least one epoch and one step per epoch (epochs=${spec.epochs}, steps=${spec.stepsPerEpoch}); is the dataset empty or the batch larger than it?`);
  }
  const totalSteps = spec.epochs * spec.stepsPerEpoch;
  const schedule: Schedule = {
    lr: spec.lr,
    totalSteps,
    warmupSteps: spec.warmupSteps ?? Math.max(1, Math.round(0.05 * totalSteps)),
    minLrRatio: spec.minLrRatio ?? 0.01,
  };
  const names = [...spec.params.keys()];
  const opt = new AdamW(spec.params, { weightDecay: spec.weightDecay ?? DEFAULT_WEIGHT_DECAY, lrScale: spec.lrScale });
  let bestParams: Map<string, tf.Tensor> | null = null;
  let state: TrainState = { epoch: 0, step: 0, history: [], best: null, bestEpoch: -1, badEpochs: 0 };
  const emit = spec.onProgress ?? (() => {});

  try {
    const saved = spec.resume && spec.files ? spec.files.readBytes(CHECKPOINT_FILE) : null;
    if (saved) {
      const loaded = await loadTrainState(spec, opt, saved);
      state = loaded.state;
      bestParams = loaded.bestParams;
      emit({ kind: 'resume', stage: spec.stage, epoch: state.epoch, epochs: spec.epochs, step: state.step, totalSteps, loss: NaN, lr: lrAt(schedule, state.step), imagesPerSecond: 0, etaSeconds: 0 });
    }
    const startEpoch = state.epoch;
    const t0 = Date.now();
    let imagesSeen = 0;
    let stoppedEarly = false;
    for (let epoch = state.epoch; epoch < spec.epochs; epoch++) {
      const te = Date.now();
      let lossSum = 0;
      let lossCount = 0;
      let lr = 0;
      for (const batch of spec.batches(epoch)) {
        try {
          if (spec.signal?.aborted) throw abortError(spec.stage);
          lr = lrAt(schedule, state.step);
          const step = state.step;
          const gradients = spec.gradients ? () => spec.gradients!(batch, step) : () => computeGradients(spec.params, () => spec.loss(batch, step));
          const loss = await trainStep(gradients, opt, { lr, clipNorm: spec.clipNorm, stage: spec.stage, step, epoch });
          state.step++;
          lossSum += loss;
          lossCount++;
          imagesSeen += spec.batchSize(batch);
          const elapsed = (Date.now() - t0) / 1000;
          const done = state.step - startEpoch * spec.stepsPerEpoch;
          emit({
            kind: 'step', stage: spec.stage, epoch, epochs: spec.epochs, step: state.step, totalSteps, loss, lr,
            imagesPerSecond: elapsed > 0 ? imagesSeen / elapsed : 0,
            etaSeconds: done > 0 ? (elapsed / done) * (totalSteps - state.step) : 0,
          });
        } finally {
          spec.dispose(batch);
        }
        // Yield to the event loop once per step so an interrupt (Ctrl-C, a notebook stop, a page's Stop) is handled promptly.
        await yieldToEventLoop();
      }
      const metrics = spec.evaluate ? await spec.evaluate(epoch) : {};
      const record: EpochRecord = { epoch, loss: lossCount ? lossSum / lossCount : NaN, lr, seconds: (Date.now() - te) / 1000, metrics };
      state.history.push(record);
      state.epoch = epoch + 1;
      if (spec.monitor) {
        const value = metrics[spec.monitor.metric];
        if (value === undefined) throw new Error(`${spec.stage}: early stopping monitors "${spec.monitor.metric}" but evaluate() returned ${Object.keys(metrics).join(', ') || 'nothing'}.`);
        const better = state.best === null || Number.isNaN(state.best) || (spec.monitor.mode === 'max' ? value > state.best : value < state.best);
        if (better) {
          state.best = value;
          state.bestEpoch = epoch;
          state.badEpochs = 0;
          if (bestParams) tf.dispose([...bestParams.values()]);
          bestParams = new Map(names.map((n) => [n, spec.params.get(n)!.clone()]));
        } else state.badEpochs++;
      } else state.bestEpoch = epoch;
      if (spec.files) await saveTrainState(spec, opt, state, bestParams);
      const elapsed = (Date.now() - t0) / 1000;
      emit({
        kind: 'epoch', stage: spec.stage, epoch, epochs: spec.epochs, step: state.step, totalSteps, loss: record.loss, lr,
        imagesPerSecond: elapsed > 0 ? imagesSeen / elapsed : 0, etaSeconds: 0, epochLoss: record.loss, metrics,
      });
      if (spec.monitor?.patience !== undefined && state.badEpochs > spec.monitor.patience) {
        stoppedEarly = true;
        break;
      }
    }
    if (spec.monitor && bestParams) {
      for (const n of names) spec.params.get(n)!.assign(bestParams.get(n)!);
    }
    return { history: state.history, bestEpoch: state.bestEpoch, best: state.best, stoppedEarly, steps: state.step, startEpoch };
  } finally {
    opt.dispose();
    if (bestParams) tf.dispose([...bestParams.values()]);
  }
}

/** One end of a page's MessageChannel (the part `yieldToEventLoop` uses). */
interface PagePort {
  onmessage: ((event: unknown) => void) | null;
  postMessage(message: unknown): void;
  close(): void;
}

/**
 * Let pending events run: `setImmediate` in Node; a web page has none, and `setTimeout(0)` is clamped to 4 ms once
 * nested, so a message to itself is posted instead (a task, so the page can also draw between steps).
 */
export function yieldToEventLoop(): Promise<void> {
  if (typeof setImmediate === 'function') return new Promise((resolve) => setImmediate(resolve));
  return new Promise((resolve) => {
    // The page's MessageChannel, typed here: this file is also compiled without the DOM's types (the notebooks' kernel).
    const channel = new (globalThis as unknown as { MessageChannel: new () => { port1: PagePort; port2: PagePort } }).MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

function abortError(stage: string): Error {
  const e = new Error(`${stage}: stopped by request (the last finished epoch is in the checkpoint; --resume continues).`);
  e.name = 'AbortError';
  return e;
}

async function toWrite(t: tf.Tensor): Promise<TensorToWrite> {
  return { dtype: 'F32', shape: t.shape, data: new Float32Array(await t.data()) };
}

async function saveTrainState<B>(spec: FitSpec<B>, opt: AdamW, state: TrainState, best: Map<string, tf.Tensor> | null): Promise<void> {
  const tensors = new Map<string, TensorToWrite>();
  for (const [n, v] of spec.params) tensors.set(`param/${n}`, await toWrite(v));
  for (const [n, t] of opt.stateTensors()) tensors.set(`optim/${n}`, await toWrite(t));
  if (best) for (const [n, t] of best) tensors.set(`best/${n}`, await toWrite(t));
  const metadata: Record<string, string> = {
    format: STATE_FORMAT,
    stage: spec.stage,
    state: JSON.stringify({ ...state, optimizerStep: opt.step }),
    meta: JSON.stringify(spec.meta ?? {}),
  };
  await spec.files!.writeBytes(CHECKPOINT_FILE, encodeSafetensors(tensors, metadata));
}

async function loadTrainState<B>(spec: FitSpec<B>, opt: AdamW, bytes: Uint8Array): Promise<{ state: TrainState; bestParams: Map<string, tf.Tensor> | null }> {
  const path = whereIs(spec.files!, CHECKPOINT_FILE);
  const file = decodeSafetensors(bytes, path);
  if (file.metadata.format !== STATE_FORMAT) throw new Error(`${path} is not a tpp-lab training checkpoint (format "${file.metadata.format ?? 'none'}").`);
  if (file.metadata.stage !== spec.stage) {
    throw new Error(`${path} is a "${file.metadata.stage}" checkpoint; cannot resume the "${spec.stage}" stage from it. Use another --out folder or drop --resume.`);
  }
  // The checkpoint's settings are a settings record (settings-record.ts), checked as a grid's cells are.
  const check = checkRecord({ settings: JSON.parse(file.metadata.meta ?? '{}') }, spec.meta ?? {});
  if (check.state === 'changed') {
    throw new Error(`${path} was written with other settings; resuming would mix two runs (${describeDiff(check.diff)}). Run with the same settings, or without --resume to start over.`);
  }
  const read = (key: string, like: tf.Tensor): tf.Tensor => {
    const e = file.tensors.get(key);
    if (!e) throw new Error(`${path} has no "${key}": it was written for other trainable parameters.`);
    if (e.shape.join() !== like.shape.join()) throw new Error(`${path}: "${key}" has shape [${e.shape}], expected [${like.shape}].`);
    return tf.tensor(entryToFloat32(key, e), e.shape);
  };
  for (const [n, v] of spec.params) {
    const t = read(`param/${n}`, v);
    v.assign(t);
    t.dispose();
  }
  const saved = JSON.parse(file.metadata.state) as TrainState & { optimizerStep: number };
  const optState = new Map<string, tf.Tensor>();
  for (const [n, t] of opt.stateTensors()) optState.set(n, read(`optim/${n}`, t));
  opt.loadState(optState, saved.optimizerStep);
  tf.dispose([...optState.values()]);
  let bestParams: Map<string, tf.Tensor> | null = null;
  if (file.tensors.has(`best/${spec.params.keys().next().value}`)) {
    bestParams = new Map([...spec.params].map(([n, v]) => [n, read(`best/${n}`, v)]));
  }
  const { optimizerStep: _, ...state } = saved;
  return { state, bestParams };
}
