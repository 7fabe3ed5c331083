import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { dirname, join } from 'node:path';

it('wasm in jest', async () => {
  const dist = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  setWasmPaths(join(dist, 'dist') + '/');
  const ok = await tf.setBackend('wasm');
  await tf.ready();
  console.log(ok, tf.getBackend());
  const x = tf.tensor2d([[1, 2], [3, 4]]);
  expect(Array.from(x.matMul(x).dataSync())).toEqual([7, 10, 15, 22]);
});
