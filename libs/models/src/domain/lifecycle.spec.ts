import { ConflictError, ForbiddenError, ValidationFailedError } from '@app/common';
import {
  DAY_MS,
  InvalidStageTransitionError,
  LifecycleState,
  STAGES,
  Stage,
  allowedTargets,
  canTransition,
  effectiveStage,
  planTransition,
} from './lifecycle';

const NOW = new Date('2026-01-10T12:00:00.000Z');

function state(stage: Stage, extra: Partial<LifecycleState & { version: number }> = {}): LifecycleState & { version: number } {
  return { version: 3, stage, deprecatedAt: null, sunsetAt: null, successorVersion: null, ...extra };
}

function stateIn(stage: Stage) {
  // A deprecated version always carries its dates (the database enforces it).
  return stage === 'deprecated'
    ? state(stage, { deprecatedAt: new Date(NOW.getTime() - DAY_MS), sunsetAt: new Date(NOW.getTime() + DAY_MS), successorVersion: 4 })
    : state(stage);
}

const ALLOWED: [Stage, Stage][] = [
  ['draft', 'staging'],
  ['draft', 'retired'],
  ['staging', 'production'],
  ['staging', 'retired'],
  ['production', 'deprecated'],
  ['deprecated', 'production'],
  ['deprecated', 'retired'],
];
const isAllowed = (from: Stage, to: Stage) => ALLOWED.some(([f, t]) => f === from && t === to);
const FORBIDDEN: [Stage, Stage][] = STAGES.flatMap((from) =>
  STAGES.filter((to) => !isAllowed(from, to)).map((to): [Stage, Stage] => [from, to]),
);

describe('lifecycle state machine', () => {
  it('has 7 allowed and 18 forbidden moves among the 5 stages', () => {
    expect(ALLOWED).toHaveLength(7);
    expect(FORBIDDEN).toHaveLength(18);
  });

  it.each(ALLOWED)('allows %s → %s (as admin)', (from, to) => {
    expect(canTransition(from, to)).toBe(true);
    const plan = planTransition({
      version: stateIn(from),
      to,
      currentProduction: null,
      isAdmin: true,
      now: NOW,
      defaultSunsetDays: 90,
    });
    expect(plan.from).toBe(from);
    expect(plan.next.stage).toBe(to);
  });

  it.each(FORBIDDEN)('forbids %s → %s with a 409 listing the allowed targets', (from, to) => {
    expect(canTransition(from, to)).toBe(false);
    let error: unknown;
    try {
      planTransition({ version: stateIn(from), to, currentProduction: null, isAdmin: true, now: NOW, defaultSunsetDays: 90 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidStageTransitionError);
    expect(error).toBeInstanceOf(ConflictError);
    const e = error as InvalidStageTransitionError;
    expect(e.code).toBe('INVALID_STAGE_TRANSITION');
    expect(e.extensions).toEqual({ from, to, allowedTargets: [...allowedTargets(from)] });
  });

  it('lists the targets of every stage', () => {
    expect(Object.fromEntries(STAGES.map((s) => [s, allowedTargets(s)]))).toEqual({
      draft: ['staging', 'retired'],
      staging: ['production', 'retired'],
      production: ['deprecated'],
      deprecated: ['production', 'retired'],
      retired: [],
    });
  });

  it.each(['draft', 'staging', 'deprecated'] as Stage[])('lets only an admin retire a %s version', (from) => {
    expect(() =>
      planTransition({ version: stateIn(from), to: 'retired', currentProduction: null, isAdmin: false, now: NOW, defaultSunsetDays: 90 }),
    ).toThrow(ForbiddenError);
  });

  it('lets a non-admin make every other allowed move', () => {
    for (const [from, to] of ALLOWED.filter(([, t]) => t !== 'retired')) {
      const plan = planTransition({ version: stateIn(from), to, currentProduction: null, isAdmin: false, now: NOW, defaultSunsetDays: 90 });
      expect(plan.next.stage).toBe(to);
    }
  });
});

describe('promotion to production', () => {
  it('deprecates the current production version: deprecatedAt now, sunset after the default days, successor the new one', () => {
    const plan = planTransition({
      version: state('staging', { version: 5 }),
      to: 'production',
      currentProduction: { ...state('production'), version: 2 },
      isAdmin: false,
      now: NOW,
      defaultSunsetDays: 90,
    });
    expect(plan.next).toEqual({ stage: 'production', deprecatedAt: null, sunsetAt: null, successorVersion: null });
    expect(plan.superseded).toEqual({
      version: 2,
      from: 'production',
      next: {
        stage: 'deprecated',
        deprecatedAt: NOW,
        sunsetAt: new Date('2026-04-10T12:00:00.000Z'),
        successorVersion: 5,
      },
    });
  });

  it('supersedes nothing when there is no production version', () => {
    const plan = planTransition({
      version: state('staging'),
      to: 'production',
      currentProduction: null,
      isAdmin: false,
      now: NOW,
      defaultSunsetDays: 90,
    });
    expect(plan.superseded).toBeUndefined();
  });

  it('rolls a deprecated version back: its deprecation is cleared and the current production one is deprecated', () => {
    const plan = planTransition({
      version: { ...stateIn('deprecated'), version: 1 },
      to: 'production',
      currentProduction: { ...state('production'), version: 2 },
      isAdmin: false,
      now: NOW,
      defaultSunsetDays: 30,
    });
    expect(plan.next).toEqual({ stage: 'production', deprecatedAt: null, sunsetAt: null, successorVersion: null });
    expect(plan.superseded?.next).toEqual({
      stage: 'deprecated',
      deprecatedAt: NOW,
      sunsetAt: new Date(NOW.getTime() + 30 * DAY_MS),
      successorVersion: 1,
    });
  });
});

describe('deprecation and sunset', () => {
  it('takes an explicit sunsetAt on a move to deprecated', () => {
    const sunsetAt = new Date('2026-02-01T00:00:00.000Z');
    const plan = planTransition({
      version: state('production'),
      to: 'deprecated',
      sunsetAt,
      currentProduction: null,
      isAdmin: false,
      now: NOW,
      defaultSunsetDays: 90,
    });
    expect(plan.next).toEqual({ stage: 'deprecated', deprecatedAt: NOW, sunsetAt, successorVersion: null });
  });

  it('defaults the sunset of a manual deprecation', () => {
    const plan = planTransition({
      version: state('production'),
      to: 'deprecated',
      currentProduction: null,
      isAdmin: false,
      now: NOW,
      defaultSunsetDays: 7,
    });
    expect(plan.next.sunsetAt).toEqual(new Date(NOW.getTime() + 7 * DAY_MS));
  });

  it('rejects sunsetAt on any other move, and a sunsetAt in the past', () => {
    const base = { currentProduction: null, isAdmin: true, now: NOW, defaultSunsetDays: 90 };
    expect(() => planTransition({ ...base, version: state('draft'), to: 'staging', sunsetAt: new Date('2027-01-01') })).toThrow(
      ValidationFailedError,
    );
    expect(() => planTransition({ ...base, version: state('production'), to: 'deprecated', sunsetAt: new Date('2025-01-01') })).toThrow(
      ValidationFailedError,
    );
  });

  it('treats a deprecated version past its sunset as retired, and one before it as deprecated', () => {
    const past = { stage: 'deprecated' as const, sunsetAt: new Date(NOW.getTime() - 1) };
    const future = { stage: 'deprecated' as const, sunsetAt: new Date(NOW.getTime() + 1) };
    expect(effectiveStage(past, NOW)).toBe('retired');
    expect(effectiveStage(future, NOW)).toBe('deprecated');
    expect(effectiveStage({ stage: 'production', sunsetAt: null }, NOW)).toBe('production');
  });

  it('refuses to move a version whose sunset has passed (it is effectively retired)', () => {
    const v = state('deprecated', { deprecatedAt: new Date('2025-01-01'), sunsetAt: new Date(NOW.getTime() - 1000), successorVersion: 4 });
    expect(() =>
      planTransition({ version: v, to: 'production', currentProduction: null, isAdmin: true, now: NOW, defaultSunsetDays: 90 }),
    ).toThrow(expect.objectContaining({ extensions: { from: 'retired', to: 'production', allowedTargets: [] } }));
  });

  it('stamps the sunset of a retirement with now unless it had already passed', () => {
    const plan = planTransition({
      version: state('staging'),
      to: 'retired',
      currentProduction: null,
      isAdmin: true,
      now: NOW,
      defaultSunsetDays: 90,
    });
    expect(plan.next).toEqual({ stage: 'retired', deprecatedAt: null, sunsetAt: NOW, successorVersion: null });
  });
});
