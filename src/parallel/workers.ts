/**
 * Data parallelism over `worker_threads`: wasm is single-threaded in Node, but each worker thread runs its own
 * wasm backend on its own core. Protocol (protocol.ts):
 *   1. start: each worker builds the same task from its spec and receives EVERY weight once (frozen ones too);
 *   2. each step: the main thread sends the current TRAINABLE weights and a slice of the batch to each worker;
 *      each returns the mean loss of its slice and the gradients of the trainable parameters only (for PEFT
 *      these are tiny);
 *   3. the main thread averages them, weighted by slice size, so the result is the gradient of the whole
 *      batch's mean loss, and applies the optimiser itself (`trainStep`, src/step/step.ts).
 * The batch is split into contiguous row blocks; the MAE masks travel with the rows, so the work is the same
 * as on one thread and results agree up to float rounding (test/perf-workers.test.ts).
 *
 * Backend-neutral: a worker uses the main thread's backend name (wasm, cpu, node...). Nothing here is
 * wasm-only; on a GPU backend one thread is usually the better choice.
 */
import * as path from 'path';
import { Worker } from 'worker_threads';
import { tf } from '../backend';
import { sliceBatch, type GradTask, type HostBatch } from './task';
import type { LossAndGrads } from '../step/step';
import type { GradientSource, StartWorkers } from './gradients';
import type { FromWorker, ToWorker } from './protocol';

/** Row ranges `[start, end)` of `n` rows split over `parts` (sizes differ by at most one). */
export function splitRows(n: number, parts: number): [number, number][] {
  const out: [number, number][] = [];
  let start = 0;
  for (let i = 0; i < parts; i++) {
    const size = Math.floor(n / parts) + (i < n % parts ? 1 : 0);
    out.push([start, start + size]);
    start += size;
  }
  return out.filter(([a, b]) => b > a);
}

/** A worker thread and the reply it is waiting for. */
class Channel {
  private waiting: { resolve: (m: FromWorker) => void; reject: (e: Error) => void } | null = null;
  private failed: Error | null = null;

  constructor(readonly worker: Worker) {
    worker.on('message', (m: FromWorker) => {
      const w = this.waiting;
      this.waiting = null;
      if (!w) return;
      if (m.type === 'error') w.reject(new Error(`gradient worker failed: ${m.message}`));
      else w.resolve(m);
    });
    const fail = (e: Error) => {
      this.failed = e;
      this.waiting?.reject(e);
      this.waiting = null;
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`gradient worker exited (code ${code}) before replying.`)));
  }

  request(msg: ToWorker): Promise<FromWorker> {
    if (this.failed) return Promise.reject(this.failed);
    if (this.waiting) return Promise.reject(new Error('gradient worker: one request at a time.'));
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.worker.postMessage(msg);
    });
  }
}

async function readAll(task: GradTask, names: Iterable<string>): Promise<Record<string, Float32Array>> {
  const out: Record<string, Float32Array> = {};
  for (const n of names) out[n] = (await task.params.get(n)!.data()) as Float32Array;
  return out;
}

function copyBatch(b: HostBatch): HostBatch {
  const arrays: HostBatch['arrays'] = {};
  for (const [k, a] of Object.entries(b.arrays)) arrays[k] = a.slice();
  return { n: b.n, arrays };
}

/** Gradients of a task's trainable parameters computed by N worker threads on slices of each batch. */
export class WorkerGradients implements GradientSource {
  private nextId = 1;

  private constructor(private readonly task: GradTask, private readonly channels: Channel[]) {}

  /** Number of worker threads. */
  get workers(): number {
    return this.channels.length;
  }

  /**
   * Start `workers` threads for `task` (each rebuilds it from `task.ref`) on `backend`, and send them every weight.
   * Resolves once all are ready.
   */
  static async start(task: GradTask, workers: number, options: { backend: string }): Promise<WorkerGradients> {
    if (!Number.isInteger(workers) || workers < 1) throw new Error(`workers must be a whole number >= 1, got ${workers}.`);
    const boot = path.join(__dirname, 'worker-boot.js');
    const channels = Array.from({ length: workers }, () => new Channel(new Worker(boot, { workerData: { ref: task.ref, backend: options.backend } })));
    const pool = new WorkerGradients(task, channels);
    try {
      const weights = await readAll(task, task.params.keys());
      await Promise.all(channels.map((c) => c.request({ type: 'init', weights })));
    } catch (e) {
      await pool.dispose();
      throw e;
    }
    return pool;
  }

  /** Mean loss of `batch` and its gradients (weighted average of the slices'); tensors belong to the caller. */
  async compute(batch: HostBatch): Promise<LossAndGrads> {
    const trainable = await readAll(this.task, this.task.trainable);
    const parts = splitRows(batch.n, this.channels.length);
    const replies = await Promise.all(
      parts.map(([a, b], i) => this.channels[i].request({ type: 'step', id: this.nextId++, trainable, batch: copyBatch(sliceBatch(batch, a, b)) })),
    );
    let loss = 0;
    const sums = new Map<string, Float64Array>();
    replies.forEach((r, i) => {
      if (r.type !== 'grads') throw new Error(`gradient worker: expected gradients, got "${r.type}".`);
      const w = (parts[i][1] - parts[i][0]) / batch.n;
      loss += w * r.loss;
      for (const [name, g] of Object.entries(r.grads)) {
        let s = sums.get(name);
        if (!s) sums.set(name, (s = new Float64Array(g.length)));
        for (let j = 0; j < g.length; j++) s[j] += w * g[j];
      }
    });
    const grads = new Map<string, tf.Tensor>();
    for (const name of this.task.trainable) {
      grads.set(name, tf.tensor(Float32Array.from(sums.get(name)!), this.task.params.get(name)!.shape, 'float32'));
    }
    return { loss, grads };
  }

  /** Inference split over the workers: the task's forward output of `batch`, rows concatenated in order. */
  async forward(batch: HostBatch): Promise<tf.Tensor> {
    const trainable = await readAll(this.task, this.task.trainable);
    const parts = splitRows(batch.n, this.channels.length);
    const replies = await Promise.all(
      parts.map(([a, b], i) => this.channels[i].request({ type: 'forward', id: this.nextId++, trainable, batch: copyBatch(sliceBatch(batch, a, b)) })),
    );
    const outs = replies.map((r) => {
      if (r.type !== 'output') throw new Error(`gradient worker: expected an output, got "${r.type}".`);
      return r;
    });
    const rowSize = outs[0].data.length / outs[0].shape[0];
    const data = new Float32Array(batch.n * rowSize);
    let offset = 0;
    for (const o of outs) {
      data.set(o.data, offset);
      offset += o.data.length;
    }
    return tf.tensor(data, [batch.n, ...outs[0].shape.slice(1)], 'float32');
  }

  /** Stop every worker thread. */
  async dispose(): Promise<void> {
    await Promise.all(this.channels.map((c) => c.worker.terminate()));
  }
}

/** Start a `WorkerGradients` pool (the Node `StartWorkers` of gradients.ts, which the training stages take as `startWorkers`). */
export const startWorkerGradients: StartWorkers = (task, workers, options) => WorkerGradients.start(task, workers, options);
