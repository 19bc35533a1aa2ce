/** Checkpoints: safetensors reading/writing and backbone / adapter files. */
export * from './safetensors';
export * from './checkpoint';
