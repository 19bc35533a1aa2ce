/**
 * Body of a gradient worker thread (see workers.ts for the protocol). It builds the same task as the main
 * thread from its `TaskRef`, takes every weight once, then for each step takes the current trainable
 * weights and a slice of the batch and sends back the mean loss and the gradients of the slice.
 */
import { parentPort, workerData } from 'worker_threads';
import { initBackend, tf } from '../backend';
import { computeGradients } from '../step/step';
import type { GradTask, HostBatch, TaskRef } from './task';
import { trainableOf } from './gradients';
import type { ToWorker, FromWorker } from './protocol';

const { ref, backend } = workerData as { ref: TaskRef; backend: string };
let task: GradTask | null = null;

function assign(weights: Record<string, Float32Array>): void {
  for (const [name, data] of Object.entries(weights)) {
    const v = task!.params.get(name);
    if (!v) throw new Error(`worker: the task has no parameter "${name}".`);
    tf.tidy(() => v.assign(tf.tensor(data, v.shape, 'float32')));
  }
}

async function handle(msg: ToWorker): Promise<FromWorker> {
  if (msg.type === 'init') {
    await initBackend({ backend, warn: () => {} });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const factory = require(ref.module)[ref.factory] as ((options: unknown) => GradTask | Promise<GradTask>) | undefined;
    if (typeof factory !== 'function') throw new Error(`worker: ${ref.module} exports no function "${ref.factory}".`);
    task = await factory(ref.options);
    assign(msg.weights);
    return { type: 'ready', backend: tf.getBackend() };
  }
  if (!task) throw new Error('worker: a step arrived before init.');
  assign(msg.trainable);
  const batch: HostBatch = msg.batch;
  if (msg.type === 'forward') {
    const y = tf.tidy(() => task!.forward(batch));
    const out = (await y.data()) as Float32Array;
    const shape = y.shape;
    y.dispose();
    return { type: 'output', id: msg.id, data: out, shape };
  }
  // The same gradient function as a step on the main thread (src/step/step.ts), on this slice.
  const { loss, grads } = await computeGradients(trainableOf(task), () => task!.loss(batch));
  const out: Record<string, Float32Array> = {};
  try {
    for (const name of task.trainable) out[name] = (await grads.get(name)!.data()) as Float32Array;
  } finally {
    tf.dispose([...grads.values()]);
  }
  return { type: 'grads', id: msg.id, loss, grads: out };
}

parentPort!.on('message', (msg: ToWorker) => {
  handle(msg).then(
    (reply) => {
      const transfer = reply.type === 'grads' ? Object.values(reply.grads).map((g) => g.buffer as ArrayBuffer) : [];
      parentPort!.postMessage(reply, transfer);
    },
    (e: unknown) => parentPort!.postMessage({ type: 'error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) } satisfies FromWorker),
  );
});
