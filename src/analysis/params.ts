/**
 * Parameters as plain arrays, for analysis in notebooks: snapshots of tensors, the tensors of a PEFT model or
 * an adapter file (PyTorch layout), and a before/after comparison ("which tensors did training change?").
 */
import * as tf from '@tensorflow/tfjs';
import { decodeSafetensors, entryToFloat32 } from '../checkpoint/safetensors';
import type { ViT } from '../model/vit';
import type { PeftConfig, PeftModel } from '../peft/index';
import { frobeniusNorm, type PlainTensor } from './lora-svd';

/** Copies of `tensors`' values (read asynchronously, so this works on every backend). */
export async function snapshotTensors(tensors: Map<string, tf.Tensor>): Promise<Map<string, PlainTensor>> {
  const out = new Map<string, PlainTensor>();
  for (const [name, t] of tensors) out.set(name, { data: Float32Array.from(await t.data()), shape: [...t.shape] });
  return out;
}

/** A snapshot of every backbone tensor of `vit` (head excluded), internal layout. */
export async function snapshotBackbone(vit: ViT): Promise<Map<string, PlainTensor>> {
  return snapshotTensors(new Map(vit.backboneNames().map((n) => [n, vit.param(n)] as [string, tf.Tensor])));
}

/** The trainable tensors of `peft` (targets + head) in PyTorch layout, as in its adapter file. */
export async function peftTensors(peft: PeftModel): Promise<Map<string, PlainTensor>> {
  const weights = peft.adapterWeights('torch');
  try {
    return await snapshotTensors(weights);
  } finally {
    tf.dispose([...weights.values()]);
  }
}

/** The tensors of an adapter (or any safetensors) file's bytes, as float32 (`where` names the file in errors). */
export async function fileTensors(bytes: Uint8Array, where?: string): Promise<Map<string, PlainTensor>> {
  const contents = decodeSafetensors(bytes, where);
  const out = new Map<string, PlainTensor>();
  for (const [name, e] of contents.tensors) out.set(name, { data: entryToFloat32(name, e), shape: [...e.shape] });
  return out;
}

/** LoRA's scale alpha / rank of a config; an error for other methods. */
export function loraScale(config: PeftConfig): number {
  if (config.method !== 'lora') throw new Error(`loraScale: the config is for "${config.method}", not LoRA.`);
  return config.alpha / config.rank;
}

/** How one tensor changed between two snapshots. */
export interface ParamChange {
  name: string;
  size: number;
  /** max |after - before| over the elements (0 = bitwise unchanged up to float equality). */
  maxAbsDelta: number;
  normBefore: number;
  normAfter: number;
  /** Frobenius norm of after − before: how far the tensor moved. */
  normDelta: number;
}

/**
 * Compare two snapshots tensor by tensor (names of `before`, in order). A tensor missing from `after` or with
 * another shape is an error naming it.
 */
export function parameterChanges(before: Map<string, PlainTensor>, after: Map<string, PlainTensor>): ParamChange[] {
  const rows: ParamChange[] = [];
  for (const [name, b] of before) {
    const a = after.get(name);
    if (!a) throw new Error(`parameterChanges: "${name}" is in the first snapshot but not in the second.`);
    if (a.data.length !== b.data.length || a.shape.join('x') !== b.shape.join('x')) {
      throw new Error(`parameterChanges: "${name}" changed shape from [${b.shape}] to [${a.shape}].`);
    }
    let max = 0;
    let sq = 0;
    for (let i = 0; i < b.data.length; i++) {
      const d = a.data[i] - b.data[i];
      max = Math.max(max, Math.abs(d));
      sq += d * d;
    }
    rows.push({ name, size: b.data.length, maxAbsDelta: max, normBefore: frobeniusNorm(b.data), normAfter: frobeniusNorm(a.data), normDelta: Math.sqrt(sq) });
  }
  return rows;
}
