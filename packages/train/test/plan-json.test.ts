import { describe, expect, it } from 'vitest';
import { PlanError, planFromJson, PRESETS, scratchPlan } from '@medxfer/train';

const asJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

describe('planFromJson: a recipe written by hand', () => {
  it('reads every preset back from its JSON unchanged', () => {
    for (const make of Object.values(PRESETS)) {
      const plan = make({ seed: 7 });
      expect(planFromJson(asJson(plan))).toEqual(plan);
    }
  });

  it('fills a missing seed with the default it is given', () => {
    const { seed: _, ...unseeded } = scratchPlan();
    expect(planFromJson(asJson(unseeded), 5).seed).toBe(5);
  });

  it('takes the new levers: edge-filled augmentation, balanced class weights, mixup', () => {
    const plan = { ...scratchPlan(), augmentation: { ...scratchPlan().augmentation, fill: 'edge' }, loss: { classWeights: 'balanced' }, mixup: { alpha: 0.4 } };
    expect(planFromJson(asJson(plan))).toMatchObject({ augmentation: { fill: 'edge' }, loss: { classWeights: 'balanced' }, mixup: { alpha: 0.4 } });
  });

  it('refuses unknown fields, wrong types and missing fields, naming the path', () => {
    const base = asJson(scratchPlan()) as Record<string, unknown> & { phases: Record<string, unknown>[] };
    const cases: [unknown, RegExp][] = [
      [{ ...base, labelSmooting: 0.1 }, /unknown field plan\.labelSmooting \(fields: name, batchSize, phases, seed/],
      [{ ...base, phases: [{ ...base.phases[0], epoch: 3 }] }, /unknown field plan\.phases\[0\]\.epoch/],
      [{ ...base, batchSize: '128' }, /plan\.batchSize must be a whole number, got "128"/],
      [{ ...base, phases: [{ ...base.phases[0], optimizer: { kind: 'rmsprop' } }] }, /plan\.phases\[0\]\.optimizer\.kind must be one of "adam", "adamw", "sgd", got "rmsprop"/],
      [{ ...base, phases: [{ ...base.phases[0], schedule: { kind: 'step', gamma: 0.1 } }] }, /plan\.phases\[0\]\.schedule\.everyEpochs is missing/],
      [{ ...base, augmentation: { fill: 'mirror' } }, /plan\.augmentation\.fill must be one of "zero", "edge"/],
      [{ ...base, loss: { classWeights: 'even' } }, /plan\.loss\.classWeights must be a list of numbers or "balanced", got "even"/],
      [{ ...base, tta: true }, /plan\.tta must be one of "none", "flip", got true/],
      [[base], /plan must be an object/],
      [{ ...base, phases: undefined }, /plan\.phases is missing/],
    ];
    for (const [value, message] of cases) expect(() => planFromJson(value)).toThrow(message);
  });

  it('then checks the values as validatePlan does, augmentation ranges included', () => {
    const base = asJson(scratchPlan()) as Record<string, unknown>;
    expect(() => planFromJson({ ...base, batchSize: 0 })).toThrow(/batch size must be a positive integer/);
    expect(() => planFromJson({ ...base, augmentation: { hflip: 1.5 } })).toThrow(/augmentation hflip must be in \[0, 1\], got 1\.5/);
    expect(() => planFromJson({ ...base, augmentation: { cropScale: [0.9, 0.5] } })).toThrow(/cropScale must be \[a, b\] with 0 < a ≤ b ≤ 1/);
    expect(() => planFromJson({ ...base, loss: { classWeights: [1, 0] } })).toThrow(PlanError);
    expect(() => planFromJson({ ...base, mixup: { alpha: 0 } })).toThrow(/mixup alpha must be a positive number, got 0/);
    expect(() => planFromJson({ ...base, cutmix: { alpha: -1 } })).toThrow(/cutmix alpha must be a positive number, got -1/);
    expect(() => planFromJson({ ...base, mixup: { alpha: 0.4 }, cutmix: { alpha: 1 } })).toThrow(/mixup or cutmix, not both/);
    expect(planFromJson({ ...base, cutmix: { alpha: 1 } })).toMatchObject({ cutmix: { alpha: 1 } });
  });
});
