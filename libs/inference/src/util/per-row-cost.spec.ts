import { PerRowCost } from './per-row-cost';

describe('PerRowCost', () => {
  it('skips the first batch (kernels compiling, a model loading), then smooths the time per row', () => {
    const cost = new PerRowCost();
    cost.record(500, 10);
    expect(cost.msPerRow).toBe(0);
    cost.record(10, 10);
    expect(cost.msPerRow).toBe(1);
    cost.record(20, 10);
    expect(cost.msPerRow).toBeCloseTo(1.2);
  });

  it('lets one slow batch move the estimate by a fifth at most, and a lasting slowdown through', () => {
    const cost = new PerRowCost();
    cost.record(1, 1);
    cost.record(1, 1);
    cost.record(1000, 1);
    expect(cost.msPerRow).toBeCloseTo(1.2);
    for (let i = 0; i < 30; i++) cost.record(5, 1);
    expect(cost.msPerRow).toBeCloseTo(5, 1);
  });
});
