import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { runExclusively } from './run-exclusively';
import { describeWithServers } from '../../../test/support/servers';

/** Two processes' schedulers firing together, as two DataSources (two pools) on the real Postgres. */
describeWithServers(['postgres'], 'runExclusively', () => {
  const url = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const sources = [0, 1].map(() => new DataSource({ type: 'postgres', url, poolSize: 2 }));
  const job = `test-job-${randomBytes(4).toString('hex')}`;

  beforeAll(() => Promise.all(sources.map((s) => s.initialize())));
  afterAll(() => Promise.all(sources.map((s) => s.destroy())));

  it('runs the work once when two runs overlap; the other skips without waiting', async () => {
    let runs = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const work = async () => {
      runs += 1;
      await gate;
      return 'done';
    };
    const first = runExclusively(sources[0], job, work);
    // The second starts while the first holds the lock (the first is inside its work).
    while (runs === 0) await new Promise((r) => setTimeout(r, 5));
    const second = await runExclusively(sources[1], job, work);
    release();
    expect(second).toEqual({ ran: false });
    expect(await first).toEqual({ ran: true, result: 'done' });
    expect(runs).toBe(1);
  });

  it('frees the lock when the work ends, also when it fails', async () => {
    await expect(runExclusively(sources[0], job, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await runExclusively(sources[1], job, async () => 42)).toEqual({ ran: true, result: 42 });
  });

  it('does not hold other jobs up', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const held = runExclusively(sources[0], job, () => gate);
    await new Promise((r) => setTimeout(r, 20));
    expect(await runExclusively(sources[1], `${job}-other`, async () => 'other')).toEqual({ ran: true, result: 'other' });
    release();
    await held;
  });

  it('on embedded PGlite (one process, one connection) just runs the work', async () => {
    const embedded = { options: { type: 'postgres' } } as unknown as DataSource;
    expect(await runExclusively(embedded, job, async () => 'ran')).toEqual({ ran: true, result: 'ran' });
  });
});
