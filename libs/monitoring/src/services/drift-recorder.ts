import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap, OnModuleInit } from '@nestjs/common';
import { InjectConfig } from '@app/common';
import { ScheduledJobs } from '@app/database';
import type { InputColumns, OutputColumns } from '@app/inference';
import { type ServableVersion, VersionProfilesService } from '@app/models';
import { type ServedRowsTap, ServingTaps } from '@app/predictions';
import { DriftCounter, DriftTally } from '../domain/drift-tally';
import { DriftCountsDelta, DriftCountsRepository } from '../repositories/drift-counts.repository';
import { monitoringConfig, type MonitoringConfig } from '../monitoring.config';

/** How long a version's profile (or its absence) is trusted before it is read again: another replica may have replaced it. */
const PROFILE_RECHECK_MS = 30_000;
/** Minutes of counts kept while the database refuses them; the oldest go first beyond it. */
const MAX_PENDING = 10_000;

interface Watched {
  version: ServableVersion;
  /** null: the version has no profile (as of `checkedAt`). */
  counter: DriftCounter | null;
  revision: number;
  tally: DriftTally | null;
  checkedAt: number;
  loading: boolean;
  /** Requests answered before the profile was first read: counted once it is (so none is missed). */
  early: { at: number; inputs: InputColumns; outputs: OutputColumns }[];
}

/** Requests kept per version while its profile is first read. */
const MAX_EARLY = 256;

/**
 * Drift counting on the request path: each answered prediction of a profiled version is counted
 * into its profile's bins (DriftCounter: a few comparisons per value, no allocation, no I/O), per
 * minute; a scheduled flush adds the minutes to the database, where every replica's counts meet.
 * A version seen for the first time has its profile read in the background; the requests answered
 * meanwhile are kept (a few hundred at most) and counted once it is known.
 */
@Injectable()
export class DriftRecorder implements ServedRowsTap, OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(DriftRecorder.name);
  private readonly watched = new Map<string, Watched>();
  private pending: DriftCountsDelta[] = [];
  private readonly flushJob;

  constructor(
    private readonly taps: ServingTaps,
    private readonly profiles: VersionProfilesService,
    private readonly counts: DriftCountsRepository,
    private readonly jobs: ScheduledJobs,
    @InjectConfig(monitoringConfig) private readonly config: MonitoringConfig,
  ) {
    this.flushJob = this.jobs.define('drift-flush', () => this.write());
  }

  onModuleInit(): void {
    this.taps.add(this);
  }

  onApplicationBootstrap(): void {
    this.flushJob.every(this.config.flushIntervalMs);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.flush().catch((error: unknown) =>
      this.logger.error({ err: error, msg: 'drift counts could not be written before stopping' }),
    );
  }

  /** The versions this replica has served with a profile (for the drift gauges). */
  profiledVersions(): ServableVersion[] {
    return [...this.watched.values()].filter((w) => w.counter).map((w) => w.version);
  }

  served(version: ServableVersion, inputs: InputColumns, outputs: OutputColumns): void {
    const now = Date.now();
    let w = this.watched.get(version.versionId);
    if (!w) {
      w = { version, counter: null, revision: 0, tally: null, checkedAt: 0, loading: false, early: [] };
      this.watched.set(version.versionId, w);
    }
    if (now - w.checkedAt > PROFILE_RECHECK_MS && !w.loading) void this.load(w);
    if (!w.checkedAt) {
      if (w.early.length < MAX_EARLY) w.early.push({ at: now, inputs, outputs });
      return;
    }
    this.count(w, now, inputs, outputs);
  }

  private count(w: Watched, at: number, inputs: InputColumns, outputs: OutputColumns): void {
    const counter = w.counter;
    if (!counter) return;
    const minute = at - (at % 60_000);
    if (w.tally && w.tally.minute !== minute) this.retire(w);
    w.tally ??= counter.newTally(minute);
    counter.count(w.tally, inputs[0] as unknown[][], outputs.length === 1 ? outputs[0] : undefined);
  }

  /** Forgets what is known of the version's profile (it was just replaced here): the next request reads it again. */
  invalidate(versionId: string): void {
    const w = this.watched.get(versionId);
    if (!w) return;
    this.retire(w);
    w.checkedAt = 0;
  }

  /** Writes every minute counted so far (the scheduled flush's work; a report calls it first). */
  async flush(): Promise<void> {
    await this.flushJob.run();
  }

  private async write(): Promise<void> {
    for (const w of this.watched.values()) this.retire(w);
    if (!this.pending.length) return;
    const batch = this.pending;
    this.pending = [];
    try {
      await this.counts.add(batch);
    } catch (error) {
      // Kept for the next flush (in order, bounded): a database blip costs no counts.
      this.pending = [...batch, ...this.pending].slice(-MAX_PENDING);
      throw error;
    }
  }

  /** Moves the version's current minute to the pending writes. */
  private retire(w: Watched): void {
    const t = w.tally;
    w.tally = null;
    if (!t || !t.rows) return;
    this.pending.push({ versionId: w.version.versionId, revision: w.revision, minute: new Date(t.minute), ...t.figures() });
    if (this.pending.length > MAX_PENDING) this.pending.shift();
  }

  private async load(w: Watched): Promise<void> {
    w.loading = true;
    try {
      const stored = await this.profiles.find(w.version.versionId);
      w.checkedAt = Date.now();
      if (!stored) {
        this.retire(w);
        w.counter = null;
        return;
      }
      if (stored.revision === w.revision && w.counter) return;
      this.retire(w);
      w.counter = new DriftCounter(stored.profile);
      w.revision = stored.revision;
    } catch (error) {
      w.checkedAt = Date.now();
      this.logger.warn({
        err: error,
        versionId: w.version.versionId,
        msg: 'could not read a version profile; drift is not counted until it can',
      });
    } finally {
      w.loading = false;
      const early = w.early;
      w.early = [];
      for (const e of early) this.count(w, e.at, e.inputs, e.outputs);
    }
  }
}
