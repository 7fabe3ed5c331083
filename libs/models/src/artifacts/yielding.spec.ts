import { concatChunks, SLICE_BYTES } from './yielding';

describe('concatChunks', () => {
  it('joins chunks as Buffer.concat does, small and past a slice', async () => {
    const small = [Buffer.from('ab'), Buffer.from(''), Buffer.from('cde')];
    expect((await concatChunks(small)).equals(Buffer.concat(small))).toBe(true);
    const big = Array.from({ length: 5 }, (_, i) => Buffer.alloc(Math.floor(SLICE_BYTES / 2) + 7, i + 1));
    big.push(Buffer.alloc(SLICE_BYTES * 2 + 3, 9));
    expect((await concatChunks(big)).equals(Buffer.concat(big))).toBe(true);
    const total = big.reduce((n, c) => n + c.length, 0);
    expect((await concatChunks(big, total + 5)).equals(Buffer.concat(big, total + 5))).toBe(true);
    expect((await concatChunks(big, total - 5)).equals(Buffer.concat(big, total - 5))).toBe(true);
  });
});
