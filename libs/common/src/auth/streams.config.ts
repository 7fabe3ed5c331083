import { defineConfig, type ConfigOf } from '../config/config-slice';
import { int } from '../config/variables';

export const streamsConfig = defineConfig({
  key: 'streams',
  // Server-Sent Event streams one caller (user or key) may hold open at once, per replica.
  variables: { SSE_MAX_STREAMS_PER_CALLER: int(5, 1, 1000) },
  build: (e) => ({ maxPerCaller: e.SSE_MAX_STREAMS_PER_CALLER }),
});
export type StreamsConfig = ConfigOf<typeof streamsConfig>;
