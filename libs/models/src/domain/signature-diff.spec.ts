import { changesVersusProduction, guardSignature, signatureChanges, SignatureMismatchError, type VersionSignature } from './signature-diff';

const fp32 = (name: string, shape: number[]) => ({ name, datatype: 'FP32', shape });
const PRODUCTION: VersionSignature = { inputs: [fp32('features', [-1, 4])], outputs: [fp32('probabilities', [-1, 3])] };

describe('signatureChanges', () => {
  it('finds nothing when names, datatypes and shapes agree (-1 equals -1), whatever the order of the tensors', () => {
    const prod = { inputs: [fp32('a', [-1, 4]), { name: 'b', datatype: 'INT32', shape: [-1, 8] }], outputs: [fp32('y', [-1, 1])] };
    const same = { inputs: [{ name: 'b', datatype: 'INT32', shape: [-1, 8] }, fp32('a', [-1, 4])], outputs: [fp32('y', [-1, 1])] };
    expect(signatureChanges(same, prod)).toEqual([]);
    expect(signatureChanges(PRODUCTION, PRODUCTION)).toEqual([]);
  });

  it('names a shape change with both shapes', () => {
    expect(signatureChanges({ ...PRODUCTION, inputs: [fp32('features', [-1, 32])] }, PRODUCTION)).toEqual([
      { field: 'inputs.features.shape', message: "shape [-1, 32] differs from production's [-1, 4]" },
    ]);
  });

  it('counts a fixed dimension where production has -1 as a difference, and the converse, and a change of rank', () => {
    expect(signatureChanges({ ...PRODUCTION, inputs: [fp32('features', [1, 4])] }, PRODUCTION)).toEqual([
      { field: 'inputs.features.shape', message: "shape [1, 4] differs from production's [-1, 4]" },
    ]);
    expect(signatureChanges({ ...PRODUCTION, outputs: [fp32('probabilities', [-1, -1])] }, PRODUCTION)).toEqual([
      { field: 'outputs.probabilities.shape', message: "shape [-1, -1] differs from production's [-1, 3]" },
    ]);
    expect(signatureChanges({ ...PRODUCTION, inputs: [fp32('features', [-1, 4, 1])] }, PRODUCTION)).toEqual([
      { field: 'inputs.features.shape', message: "shape [-1, 4, 1] differs from production's [-1, 4]" },
    ]);
  });

  it('names a datatype change, and reports datatype and shape separately when both change', () => {
    const changed = { ...PRODUCTION, outputs: [{ name: 'probabilities', datatype: 'INT32', shape: [-1, 2] }] };
    expect(signatureChanges(changed, PRODUCTION)).toEqual([
      { field: 'outputs.probabilities.datatype', message: "datatype INT32 differs from production's FP32" },
      { field: 'outputs.probabilities.shape', message: "shape [-1, 2] differs from production's [-1, 3]" },
    ]);
  });

  it('names tensors missing from the version and tensors production does not have (a rename is both)', () => {
    const prod = {
      inputs: [fp32('features', [-1, 4]), { name: 'tokens', datatype: 'INT32', shape: [-1, 16] }],
      outputs: PRODUCTION.outputs,
    };
    const candidate = { inputs: [fp32('features', [-1, 4])], outputs: [fp32('scores', [-1, 3])] };
    expect(signatureChanges(candidate, prod)).toEqual([
      { field: 'inputs.tokens', message: `production's input "tokens" (INT32 [-1, 16]) is missing from this version` },
      { field: 'outputs.probabilities', message: `production's output "probabilities" (FP32 [-1, 3]) is missing from this version` },
      { field: 'outputs.scores', message: `output "scores" (FP32 [-1, 3]) is not in production's signature` },
    ]);
    expect(signatureChanges({ inputs: [...prod.inputs, fp32('extra', [-1])], outputs: prod.outputs }, prod)).toEqual([
      { field: 'inputs.extra', message: `input "extra" (FP32 [-1]) is not in production's signature` },
    ]);
  });
});

describe('changesVersusProduction (signatureChanges on GET)', () => {
  const v = (version: number, inputs = PRODUCTION.inputs) => ({ version, inputs, outputs: PRODUCTION.outputs });

  it('is empty with no production version and for the production version itself', () => {
    expect(changesVersusProduction(v(2, [fp32('features', [-1, 32])]), null)).toEqual([]);
    const prod = v(2, [fp32('features', [-1, 32])]);
    expect(changesVersusProduction(prod, prod)).toEqual([]);
  });

  it('lists the differences of any other version', () => {
    expect(changesVersusProduction(v(3, [fp32('features', [-1, 32])]), v(2))).toEqual([
      { field: 'inputs.features.shape', message: "shape [-1, 32] differs from production's [-1, 4]" },
    ]);
  });
});

describe('guardSignature', () => {
  const candidate = { version: 5, inputs: [fp32('features', [-1, 32])], outputs: PRODUCTION.outputs };
  const production = { version: 3, ...PRODUCTION };
  const request = { candidate, production, move: 'promotion' as const, force: false, isAdmin: false };

  it('refuses a mismatch with SIGNATURE_MISMATCH (409) listing every difference and how to override', () => {
    let error: unknown;
    try {
      guardSignature(request);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SignatureMismatchError);
    expect(error).toMatchObject({
      kind: 'conflict',
      code: 'SIGNATURE_MISMATCH',
      errors: [{ field: 'inputs.features.shape', message: "shape [-1, 32] differs from production's [-1, 4]" }],
      extensions: { version: 5, productionVersion: 3 },
    });
    expect((error as Error).message).toMatch(
      /differs from production version 3's in 1 place .*promote it to production.*admin.*"force": true/,
    );
    expect(() => guardSignature({ ...request, move: 'canary' })).toThrow(/send it canary traffic/);
  });

  it('lets an admin force a mismatch through, returning the differences to audit', () => {
    expect(guardSignature({ ...request, force: true, isAdmin: true })).toEqual({
      forced: true,
      changes: [{ field: 'inputs.features.shape', message: "shape [-1, 32] differs from production's [-1, 4]" }],
    });
  });

  it('refuses force from anyone but an admin (403 FORCE_NOT_ALLOWED), even when nothing differs', () => {
    expect(() => guardSignature({ ...request, force: true })).toThrow(
      expect.objectContaining({ kind: 'forbidden', code: 'FORCE_NOT_ALLOWED' }),
    );
    expect(() => guardSignature({ ...request, candidate: { ...production, version: 5 }, force: true })).toThrow(
      expect.objectContaining({ code: 'FORCE_NOT_ALLOWED' }),
    );
  });

  it('passes matching signatures, a first production version and the production version itself, unforced', () => {
    expect(guardSignature({ ...request, candidate: { ...production, version: 5 } })).toEqual({ forced: false, changes: [] });
    expect(guardSignature({ ...request, production: null })).toEqual({ forced: false, changes: [] });
    expect(guardSignature({ ...request, force: true, isAdmin: true, candidate: { ...production, version: 5 } })).toEqual({
      forced: false,
      changes: [],
    });
    expect(guardSignature({ ...request, production: { ...production, version: 5 } })).toEqual({ forced: false, changes: [] });
  });
});
