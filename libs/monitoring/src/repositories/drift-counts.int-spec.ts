import { DataSource } from 'typeorm';
import { IntegrationDatabase, integrationDatabase } from '@app/database/testing';
import { ModelEntity } from '@app/models';
import { TypeormDriftCountsRepository } from './drift-counts.typeorm-repository';
import type { DriftCountsDelta } from './drift-counts.repository';

/** Drift counts added to by several replicas at once, summed over a window: the SQL is the point (PGlite, and Postgres under TEST_DATABASE_URL). */
describe('drift counts repository on TypeORM', () => {
  let db: IntegrationDatabase;
  let ds: DataSource;
  let repo: TypeormDriftCountsRepository;
  let versionId: string;
  const minute = (m: number) => new Date(Date.UTC(2030, 0, 1, 0, m));

  beforeAll(async () => {
    db = await integrationDatabase({
      migrations: [
        'Baseline1764000000000',
        'Identity1764000001100',
        'ModelRegistry1764000002000',
        'Training1764000004000',
        'Drift1764000011000',
      ],
      entities: [ModelEntity],
    });
    ds = db.ds;
    repo = new TypeormDriftCountsRepository(ds);
    const [model] = await ds.query(`INSERT INTO models (name) VALUES ('drift-int') RETURNING id`);
    const [version] = await ds.query(
      `INSERT INTO model_versions (id, model_id, version, stage, framework, inputs, outputs, sha256, size_bytes, artifact_key, created_by)
       VALUES (gen_random_uuid(), $1, 1, 'staging', 'tfjs-layers', '[]', '[]', repeat('a', 64), 1, 'k', 'int-spec') RETURNING id`,
      [model.id],
    );
    versionId = version.id;
  }, 60_000);
  afterAll(() => db?.close());

  const delta = (m: number, rows: number, revision = 1): DriftCountsDelta => ({
    versionId,
    revision,
    minute: minute(m),
    rows,
    featureCounts: [rows, 0, 0, rows],
    featureSums: [rows * 0.5, rows * 2],
    featureSquares: [rows * 0.25, rows * 4],
    predictionCounts: [rows, 0],
  });

  it("adds every replica's counts to the minute's row, element-wise, and sums a window's minutes", async () => {
    expect(await repo.sum(versionId, 1, minute(0))).toEqual({
      rows: 0,
      featureCounts: [],
      featureSums: [],
      featureSquares: [],
      predictionCounts: [],
    });
    // Three replicas writing the same minute at once, and one the next minute; another revision apart.
    await Promise.all([
      repo.add([delta(1, 10)]),
      repo.add([delta(1, 20)]),
      repo.add([delta(1, 30), delta(2, 5)]),
      repo.add([delta(2, 7, 2)]),
    ]);
    const [{ n }] = await ds.query(`SELECT count(*)::int AS n FROM drift_counts WHERE revision = 1`);
    expect(n).toBe(2);
    expect(await repo.sum(versionId, 1, minute(0))).toEqual({
      rows: 65,
      featureCounts: [65, 0, 0, 65],
      featureSums: [32.5, 130],
      featureSquares: [16.25, 260],
      predictionCounts: [65, 0],
    });
    expect((await repo.sum(versionId, 1, minute(2))).rows).toBe(5);
    expect((await repo.sum(versionId, 2, minute(0))).featureCounts).toEqual([7, 0, 0, 7]);
  });

  it('refuses rows the table’s constraints forbid, and prunes by minute', async () => {
    await expect(repo.add([{ ...delta(3, 0) }])).rejects.toThrow();
    await expect(repo.add([{ ...delta(3, 1), minute: new Date(Date.UTC(2030, 0, 1, 0, 3, 30)) }])).rejects.toThrow();
    expect(await repo.deleteBefore(minute(2))).toBe(1);
    expect((await repo.sum(versionId, 1, minute(0))).rows).toBe(5);
  });
});
