import { DomainError, ForbiddenError, type FieldError } from '@app/common';

/**
 * The signature guard: how a version's inputs and outputs differ from the production version's.
 * Pure, so promotions, canaries and (later) shadows judge a version the same way, and GET shows
 * the very list a promotion would be refused with.
 *
 * Tensors are matched by name (callers address inputs and outputs by name; their order is not part
 * of the contract). Shapes compare dimension by dimension, and `-1` (a variable dimension) only
 * equals `-1`: a version that fixes a dimension production leaves variable (a batch of exactly 1,
 * say) refuses requests production accepts, and one that frees a dimension production fixes answers
 * shapes callers have not seen. Either is a difference the promoter must see.
 */

/** The part of a tensor spec the guard compares. */
export interface TensorSignature {
  name: string;
  datatype: string;
  shape: readonly number[];
}

export interface VersionSignature {
  inputs: readonly TensorSignature[];
  outputs: readonly TensorSignature[];
}

/** One difference, as the problem's `errors` and the version's `signatureChanges` list it. */
export type SignatureChange = FieldError;

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

function describe(t: TensorSignature): string {
  return `${t.datatype} ${formatShape(t.shape)}`;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function tensorChanges(kind: 'inputs' | 'outputs', candidate: readonly TensorSignature[], production: readonly TensorSignature[]) {
  const noun = kind === 'inputs' ? 'input' : 'output';
  const ours = new Map(candidate.map((t) => [t.name, t]));
  const theirs = new Map(production.map((t) => [t.name, t]));
  const changes: SignatureChange[] = [];
  for (const prod of production) {
    const field = `${kind}.${prod.name}`;
    const mine = ours.get(prod.name);
    if (!mine) {
      changes.push({ field, message: `production's ${noun} "${prod.name}" (${describe(prod)}) is missing from this version` });
      continue;
    }
    if (mine.datatype !== prod.datatype) {
      changes.push({ field: `${field}.datatype`, message: `datatype ${mine.datatype} differs from production's ${prod.datatype}` });
    }
    if (!sameShape(mine.shape, prod.shape)) {
      changes.push({
        field: `${field}.shape`,
        message: `shape ${formatShape(mine.shape)} differs from production's ${formatShape(prod.shape)}`,
      });
    }
  }
  for (const mine of candidate) {
    if (!theirs.has(mine.name)) {
      changes.push({
        field: `${kind}.${mine.name}`,
        message: `${noun} "${mine.name}" (${describe(mine)}) is not in production's signature`,
      });
    }
  }
  return changes;
}

/** Every difference of `candidate` from `production` (inputs first, then outputs); empty when none. */
export function signatureChanges(candidate: VersionSignature, production: VersionSignature): SignatureChange[] {
  return [
    ...tensorChanges('inputs', candidate.inputs, production.inputs),
    ...tensorChanges('outputs', candidate.outputs, production.outputs),
  ];
}

/** What the guard is asked to let through: a promotion, a canary or a shadow. */
export type GuardedMove = 'promotion' | 'canary' | 'shadow';

const ACTION: Record<GuardedMove, string> = {
  promotion: 'promote it to production',
  canary: 'send it canary traffic',
  shadow: 'send it shadow traffic',
};

export class SignatureMismatchError extends DomainError {
  constructor(version: number, productionVersion: number, move: GuardedMove, changes: SignatureChange[]) {
    const n = changes.length;
    super(
      'conflict',
      'SIGNATURE_MISMATCH',
      `The signature of version ${version} differs from production version ${productionVersion}'s in ${n} ${n === 1 ? 'place' : 'places'} ` +
        `(see errors): production's callers would fail on it. To ${ACTION[move]} anyway, an admin sends "force": true.`,
      { errors: changes, extensions: { version, productionVersion } },
    );
  }
}

export interface GuardRequest {
  /** The version the move puts in front of production's callers. */
  candidate: VersionSignature & { version: number };
  /** The current production version; null when there is none (nothing to compare with). */
  production: (VersionSignature & { version: number }) | null;
  move: GuardedMove;
  force: boolean;
  isAdmin: boolean;
}

/** The guard's verdict when the move may go ahead: whether `force` overrode differences (to audit). */
export interface GuardVerdict {
  forced: boolean;
  changes: SignatureChange[];
}

/**
 * `force: true` is an admin's override. Checked before anything else, so whether `force` is refused
 * never depends on the versions or the move.
 */
export function assertMayForce(force: boolean | undefined, isAdmin: boolean): void {
  if (force === true && !isAdmin) {
    throw new ForbiddenError('Only an admin may send "force": true to override the signature guard.', 'FORCE_NOT_ALLOWED');
  }
}

/**
 * Refuses `force` from anyone but an admin (whether or not it would be needed, so the answer does
 * not depend on the versions), then refuses a mismatch unless forced.
 */
export function guardSignature(req: GuardRequest): GuardVerdict {
  assertMayForce(req.force, req.isAdmin);
  const { candidate, production } = req;
  if (!production || production.version === candidate.version) return { forced: false, changes: [] };
  const changes = signatureChanges(candidate, production);
  if (changes.length === 0) return { forced: false, changes };
  if (!req.force) throw new SignatureMismatchError(candidate.version, production.version, req.move, changes);
  return { forced: true, changes };
}

/** A version's `signatureChanges` as GET shows them: none for production itself or with no production. */
export function changesVersusProduction(
  version: VersionSignature & { version: number },
  production: (VersionSignature & { version: number }) | null,
): SignatureChange[] {
  if (!production || production.version === version.version) return [];
  return signatureChanges(version, production);
}
