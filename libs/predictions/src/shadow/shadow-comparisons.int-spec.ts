import { DataSource } from 'typeorm';
import { IntegrationDatabase, integrationDatabase } from '@app/database/testing';
import { ModelEntity } from '@app/models';
import { addToTally, emptyTally, latencyBucket, ShadowTally } from './shadow-comparison';
import { TypeormShadowComparisonsRepository } from './shadow-comparisons.typeorm-repository';

/** Shadow figures added to by several replicas, against a real (embedded) Postgres: the SQL is the point. */
describe('shadow comparisons repository on TypeORM', () => {
  let db: IntegrationDatabase;
  let ds: DataSource;
  let repo: TypeormShadowComparisonsRepository;
  let modelId: string;
  const run1 = new Date('2030-01-01T00:00:00.000Z');
  const run2 = new Date('2030-01-02T00:00:00.000Z');

  beforeAll(async () => {
    db = await integrationDatabase({
      migrations: ['Baseline1764000000000', 'Identity1764000001100', 'ModelRegistry1764000002000', 'ShadowTraffic1764000009000'],
      entities: [ModelEntity],
    });
    ds = db.ds;
    repo = new TypeormShadowComparisonsRepository(ds);
    const [row] = await ds.query(`INSERT INTO models (name) VALUES ('shadow-int') RETURNING id`);
    modelId = row.id;
  }, 60_000);
  afterAll(() => db?.close());

  /** A tally of requests as [baseline ms, shadow ms | null (failed), rows agreeing of 2, |diff| sum of 6 values]. */
  const tally = (since: Date, baselineVersion: number, requests: [number, number | null, number, number][]): ShadowTally => {
    const t = emptyTally({ modelId, shadowVersion: 2, shadowSince: since, baselineVersion });
    for (const [baselineMs, shadowMs, agreeing, diff] of requests) {
      addToTally(
        t,
        baselineMs,
        shadowMs === null
          ? null
          : { comparison: { rowsClassified: 2, rowsAgreeing: agreeing, valuesCompared: 6, absDiffSum: diff }, shadowMs },
      );
    }
    return t;
  };
  const at = (counts: number[], ms: number) => counts[latencyBucket(ms)];

  it("adds every replica's writes to the run's row, keeps runs apart, and sums a run's production versions", async () => {
    expect(await repo.figures(modelId, 2, run1)).toMatchObject({ requests: 0, baselineVersion: null, shadowLatencyCounts: [] });
    // Two replicas' writes to one run, at once.
    await Promise.all([
      repo.add(
        tally(run1, 1, [
          [1, 10, 2, 0.5],
          [2, null, 0, 0],
        ]),
      ),
      repo.add(
        tally(run1, 1, [
          [3, 20, 1, 1],
          [4, 30, 2, 0],
        ]),
      ),
    ]);
    await repo.add(tally(run2, 1, [[99, 99, 2, 0]]));
    const f = await repo.figures(modelId, 2, run1);
    expect(f).toMatchObject({
      baselineVersion: 1,
      requests: 4,
      errors: 1,
      rowsClassified: 6,
      rowsAgreeing: 5,
      valuesCompared: 18,
      absDiffSum: 1.5,
    });
    expect([10, 20, 30].map((ms) => at(f.shadowLatencyCounts, ms))).toEqual([1, 1, 1]);
    expect(f.shadowLatencyCounts.reduce((a, b) => a + b, 0)).toBe(3);
    expect(f.baselineLatencyCounts.reduce((a, b) => a + b, 0)).toBe(4);
    expect((await repo.figures(modelId, 2, run2)).requests).toBe(1);

    // Production moved on during the run: a second row, reported together, the latest baseline named.
    await repo.add(tally(run1, 3, [[5, 40, 2, 0]]));
    expect(await repo.figures(modelId, 2, run1)).toMatchObject({ baselineVersion: 3, requests: 5, errors: 1 });

    await repo.deleteRunsBefore(modelId, run2);
    expect((await repo.figures(modelId, 2, run1)).requests).toBe(0);
    expect((await repo.figures(modelId, 2, run2)).requests).toBe(1);
  });

  it('the database refuses inconsistent figures', async () => {
    const bad = tally(run1, 1, [[1, 1, 2, 0]]);
    await expect(repo.add({ ...bad, errors: 2 })).rejects.toThrow('shadow_comparisons_counts');
    await expect(repo.add({ ...bad, rowsAgreeing: 3 })).rejects.toThrow('shadow_comparisons_counts');
    await expect(repo.add({ ...bad, shadowLatencyCounts: [1] })).rejects.toThrow('shadow_comparisons_histograms');
  });
});
