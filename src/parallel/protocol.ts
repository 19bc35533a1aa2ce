/** Messages between the main thread and a gradient worker (workers.ts, worker.ts). */
import type { HostBatch } from './task';

/** Main → worker. `init` carries every weight once; steps carry the trainable weights and a batch slice. */
export type ToWorker =
  | { type: 'init'; weights: Record<string, Float32Array> }
  | { type: 'step'; id: number; trainable: Record<string, Float32Array>; batch: HostBatch }
  | { type: 'forward'; id: number; trainable: Record<string, Float32Array>; batch: HostBatch };

/** Worker → main. `grads` holds the mean loss of the slice and its gradients by parameter name. */
export type FromWorker =
  | { type: 'ready'; backend: string }
  | { type: 'grads'; id: number; loss: number; grads: Record<string, Float32Array> }
  | { type: 'output'; id: number; data: Float32Array; shape: number[] }
  | { type: 'error'; message: string };
