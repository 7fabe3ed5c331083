import { SchedulerRegistry } from '@nestjs/schedule';
import { ScheduledJobs } from '@app/database';
import { actorWith, registryServices } from '../testing/registry-services';
import { SunsetScheduler } from './sunset.scheduler';

describe('SunsetScheduler', () => {
  it('sweeps inside UnitOfWork.exclusively, retiring every version past its sunset', async () => {
    const r = registryServices();
    const engineer = actorWith(['ml-engineer']);
    for (let i = 0; i < 3; i++) await r.addVersion('iris', 'staging');
    for (const v of [1, 2, 3]) await r.lifecycle.transition('iris', v, { to: 'production' }, undefined, engineer);
    for (const row of r.p.versions.store.rows) if (row.stage === 'deprecated') row.sunsetAt = new Date(Date.now() - 1000);

    const scheduler = new SunsetScheduler(r.config, r.lifecycle, new ScheduledJobs(new SchedulerRegistry(), r.p.transactions));
    expect(await scheduler.sweep()).toBe(2);
    expect(r.p.transactions.exclusiveJobs).toEqual(['models.retire-sunset-versions']);
    expect(r.p.versions.store.rows.map((v) => v.stage).sort()).toEqual(['production', 'retired', 'retired']);
  });
});
