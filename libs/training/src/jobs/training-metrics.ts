import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram } from 'prom-client';
import { MetricsRegistry } from '@app/common';

/** Training as Prometheus sees it, per process (API without Redis, each worker with). */
@Injectable()
export class TrainingMetrics {
  readonly finished: Counter<'status'>;
  readonly running: Gauge;
  readonly epochSeconds: Histogram;

  constructor(registry: MetricsRegistry) {
    const registers = [registry];
    this.finished = new Counter({
      name: 'modelgate_training_jobs_finished_total',
      help: 'Training jobs this process ended, by final status',
      labelNames: ['status'],
      registers,
    });
    // Every status exists from the start at 0: increase() over a series that appears with its first
    // job would miss that job (the first failure of a process would never alert).
    for (const status of ['succeeded', 'failed', 'cancelled']) this.finished.inc({ status }, 0);
    this.running = new Gauge({ name: 'modelgate_training_jobs_running', help: 'Training jobs running in this process', registers });
    this.epochSeconds = new Histogram({
      name: 'modelgate_training_epoch_duration_seconds',
      help: 'Wall time of one training epoch (in its worker thread)',
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120],
      registers,
    });
  }
}
