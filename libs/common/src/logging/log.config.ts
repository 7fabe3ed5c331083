import { z } from 'zod';
import { defineConfig, type ConfigOf } from '../config/config-slice';
import { bool, sharedVariables } from '../config/variables';

export const logConfig = defineConfig({
  key: 'log',
  variables: {
    NODE_ENV: sharedVariables.NODE_ENV,
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    LOG_PRETTY: bool.optional(),
  },
  // Pretty lines for a person at a terminal in development; JSON everywhere else.
  build: (e) => ({ level: e.LOG_LEVEL, pretty: e.LOG_PRETTY ?? e.NODE_ENV === 'development' }),
});
export type LogConfig = ConfigOf<typeof logConfig>;
