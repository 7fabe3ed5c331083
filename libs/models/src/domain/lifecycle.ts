import { ConflictError, ForbiddenError, ValidationFailedError } from '@app/common';

/**
 * The lifecycle of a model version, as a pure unit: which moves exist, who may make them, and what
 * a move changes (including the deprecation of the version a promotion supersedes). No I/O here;
 * the service applies the plan inside one transaction.
 */
export const STAGES = ['draft', 'staging', 'production', 'deprecated', 'retired'] as const;
export type Stage = (typeof STAGES)[number];

const MOVES: Readonly<Record<Stage, readonly Stage[]>> = {
  draft: ['staging', 'retired'],
  staging: ['production', 'retired'],
  production: ['deprecated'],
  // deprecated → production is the rollback path.
  deprecated: ['production', 'retired'],
  retired: [],
};

export const DAY_MS = 86_400_000;

export function isStage(value: unknown): value is Stage {
  return typeof value === 'string' && (STAGES as readonly string[]).includes(value);
}

export function allowedTargets(from: Stage): readonly Stage[] {
  return MOVES[from];
}

export function canTransition(from: Stage, to: Stage): boolean {
  return MOVES[from].includes(to);
}

/** Retiring a version makes it unservable for good, so it is an admin decision. */
export function requiresAdmin(to: Stage): boolean {
  return to === 'retired';
}

export class InvalidStageTransitionError extends ConflictError {
  constructor(from: Stage, to: Stage) {
    const allowed = allowedTargets(from);
    super(
      'INVALID_STAGE_TRANSITION',
      `A ${from} version cannot move to ${to}; allowed targets: ${allowed.length ? allowed.join(', ') : 'none'}.`,
      { from, to, allowedTargets: [...allowed] },
    );
  }
}

export interface LifecycleState {
  stage: Stage;
  deprecatedAt: Date | null;
  sunsetAt: Date | null;
  successorVersion: number | null;
}

/**
 * What a client sees: a deprecated version whose sunset has passed is retired, whether or not the
 * scheduled sweep has written that down yet.
 */
export function effectiveStage(v: Pick<LifecycleState, 'stage' | 'sunsetAt'>, now: Date = new Date()): Stage {
  return v.stage === 'deprecated' && v.sunsetAt !== null && v.sunsetAt.getTime() <= now.getTime() ? 'retired' : v.stage;
}

export interface TransitionRequest {
  /** The version being moved, with its stored lifecycle state. */
  version: LifecycleState & { version: number };
  to: Stage;
  /** The model's current production version, if any (locked by the caller). */
  currentProduction: (LifecycleState & { version: number }) | null;
  /** Only meaningful for a move to deprecated. */
  sunsetAt?: Date;
  isAdmin: boolean;
  now: Date;
  defaultSunsetDays: number;
}

export interface TransitionPlan {
  from: Stage;
  /** The new lifecycle state of the moved version. */
  next: LifecycleState;
  /** Set when a promotion supersedes the current production version. */
  superseded?: { version: number; from: Stage; next: LifecycleState };
}

export function defaultSunset(now: Date, days: number): Date {
  return new Date(now.getTime() + days * DAY_MS);
}

export function planTransition(req: TransitionRequest): TransitionPlan {
  const { to, now } = req;
  const from = effectiveStage(req.version, now);
  if (requiresAdmin(to) && !req.isAdmin) {
    throw new ForbiddenError('Only an admin may retire a model version.', 'RETIREMENT_REQUIRES_ADMIN');
  }
  if (!canTransition(from, to)) throw new InvalidStageTransitionError(from, to);
  if (req.sunsetAt !== undefined) {
    if (to !== 'deprecated') {
      throw new ValidationFailedError([{ field: 'sunsetAt', message: 'sunsetAt is only accepted when moving to deprecated' }]);
    }
    if (req.sunsetAt.getTime() <= now.getTime()) {
      throw new ValidationFailedError([{ field: 'sunsetAt', message: 'sunsetAt must be in the future' }]);
    }
  }

  const current = req.version;
  switch (to) {
    case 'production': {
      // A rollback is a fresh promotion: the version is no longer deprecated.
      const next: LifecycleState = { stage: 'production', deprecatedAt: null, sunsetAt: null, successorVersion: null };
      const previous = req.currentProduction;
      if (!previous || previous.version === current.version) return { from, next };
      return {
        from,
        next,
        superseded: {
          version: previous.version,
          from: previous.stage,
          next: {
            stage: 'deprecated',
            deprecatedAt: now,
            sunsetAt: defaultSunset(now, req.defaultSunsetDays),
            successorVersion: current.version,
          },
        },
      };
    }
    case 'deprecated':
      return {
        from,
        next: {
          stage: 'deprecated',
          deprecatedAt: now,
          sunsetAt: req.sunsetAt ?? defaultSunset(now, req.defaultSunsetDays),
          successorVersion: current.successorVersion,
        },
      };
    case 'retired':
      // The sunset is when the version stopped serving: now, unless it had already passed.
      return {
        from,
        next: {
          stage: 'retired',
          deprecatedAt: current.deprecatedAt,
          sunsetAt: current.sunsetAt && current.sunsetAt.getTime() <= now.getTime() ? current.sunsetAt : now,
          successorVersion: current.successorVersion,
        },
      };
    default:
      return { from, next: { ...current, stage: to } };
  }
}
