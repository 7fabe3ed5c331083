import type { ThrottlerStorage } from '@nestjs/throttler';

/** What a throttler storage answers: @nestjs/throttler does not export the type by name, only through ThrottlerStorage. */
export type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;
