import { availableParallelism } from 'node:os';
import { loadConfigSlice } from '@app/common';
import { defaultInferenceThreads, inferenceConfig } from './inference.config';

describe('inference config', () => {
  it('runs models on every core but one by default, and on at least one thread', () => {
    expect(defaultInferenceThreads(8)).toBe(7);
    expect(defaultInferenceThreads(2)).toBe(1);
    expect(defaultInferenceThreads(1)).toBe(1);
    expect(loadConfigSlice(inferenceConfig, {}).threads).toBe(Math.max(1, availableParallelism() - 1));
    expect(loadConfigSlice(inferenceConfig, { INFERENCE_THREADS: '0' }).threads).toBe(0);
  });
});
