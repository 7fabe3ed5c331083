import { Injectable } from '@nestjs/common';
import { Page, toPage } from '@app/common';
import { RegistryReader } from '@app/models';
import { SunsetDto, SunsetsQueryDto } from '../dto/sunsets.dto';
import { UsageEventsRepository } from './usage-events.repository';

const WEEK_MS = 7 * 86_400_000;

/**
 * What is about to sunset, across models, with who still calls it: the registry's deprecated
 * versions (soonest first) joined to the usage ledger's last seven days, so an admin knows whom
 * to warn before the date. Two statements per page, whatever its size.
 */
@Injectable()
export class SunsetsService {
  constructor(
    private readonly registry: RegistryReader,
    private readonly usage: UsageEventsRepository,
  ) {}

  async list(query: SunsetsQueryDto, now: Date = new Date()): Promise<Page<SunsetDto>> {
    const { rows, total } = await this.registry.deprecatedVersions({
      before: query.before ? new Date(query.before) : undefined,
      limit: query.limit,
      offset: query.offset,
    });
    const activity = await this.usage.versionActivity(
      new Date(now.getTime() - WEEK_MS),
      rows.map((v) => ({ model: v.modelName, version: v.version })),
    );
    const items = rows.map((v) => {
      const seen = activity.get(`${v.modelName}:${v.version}`);
      return {
        model: v.modelName,
        version: v.version,
        deprecatedAt: v.deprecatedAt?.toISOString() ?? null,
        sunsetAt: v.sunsetAt?.toISOString() ?? null,
        successorVersion: v.successorVersion,
        requestsLast7d: seen?.requests ?? 0,
        callersLast7d: seen?.callers ?? 0,
      };
    });
    return toPage(items, total, query);
  }
}
