import { Injectable } from '@nestjs/common';

export interface DependencyReport {
  status: 'up' | 'down';
  [detail: string]: unknown;
}

/**
 * Dependencies the service keeps working without (Redis for rate limits and cluster events): their
 * owners report how they are doing here, and readiness shows it without failing on them. A lib
 * that cannot reach the health module (imports flow one way) still gets its state seen.
 */
@Injectable()
export class DegradedDependencies {
  private readonly reporters = new Map<string, () => DependencyReport>();

  register(name: string, report: () => DependencyReport): void {
    this.reporters.set(name, report);
  }

  snapshot(): Record<string, DependencyReport> {
    return Object.fromEntries([...this.reporters].map(([name, report]) => [name, report()]));
  }
}
