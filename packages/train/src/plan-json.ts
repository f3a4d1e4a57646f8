// A plan written by hand as JSON (`medxfer train --plan FILE`): every field is checked for its type and every
// unknown key refused, so a typo ("epoch", "labelSmooting") is an error instead of a silently ignored setting.
import { PlanError } from './errors.js';
import { validatePlan, type Plan } from './plan.js';

type Check = (value: unknown, path: string) => void;

const fail = (path: string, what: string, value: unknown): never => {
  throw new PlanError(`plan file: ${path} must be ${what}, got ${JSON.stringify(value) ?? String(value)}`);
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const num: Check = (v, p) => void (typeof v === 'number' && Number.isFinite(v) ? 0 : fail(p, 'a number', v));
const int: Check = (v, p) => void (Number.isInteger(v) ? 0 : fail(p, 'a whole number', v));
const str: Check = (v, p) => void (typeof v === 'string' && v !== '' ? 0 : fail(p, 'a non-empty string', v));
const bool: Check = (v, p) => void (typeof v === 'boolean' ? 0 : fail(p, 'true or false', v));
const oneOf = (...choices: string[]): Check => (v, p) => void (choices.includes(v as string) ? 0 : fail(p, `one of ${choices.map((c) => JSON.stringify(c)).join(', ')}`, v));
const listOf = (item: Check, length?: number): Check => (v, p) => {
  if (!Array.isArray(v) || (length !== undefined && v.length !== length)) fail(p, length === undefined ? 'a list' : `a list of ${length}`, v);
  (v as unknown[]).forEach((x, i) => item(x, `${p}[${i}]`));
};
const either = (what: string, ...checks: Check[]): Check => (v, p) => {
  for (const check of checks) {
    try {
      check(v, p);
      return;
    } catch {}
  }
  fail(p, what, v);
};

/** An object whose keys are `required` and `optional` fields; any other key is refused. */
function record(required: Record<string, Check>, optional: Record<string, Check> = {}): Check {
  return (v, p) => {
    if (!isObject(v)) return fail(p, 'an object', v);
    for (const key of Object.keys(v)) {
      if (!(key in required) && !(key in optional)) throw new PlanError(`plan file: unknown field ${p}.${key} (fields: ${[...Object.keys(required), ...Object.keys(optional)].join(', ')})`);
    }
    for (const [key, check] of Object.entries(required)) {
      if (v[key] === undefined) throw new PlanError(`plan file: ${p}.${key} is missing`);
      check(v[key], `${p}.${key}`);
    }
    for (const [key, check] of Object.entries(optional)) if (v[key] !== undefined) check(v[key], `${p}.${key}`);
  };
}

/** A union of records told apart by their `kind`. */
function byKind(kinds: Record<string, Check>): Check {
  return (v, p) => {
    const kind = isObject(v) ? v.kind : undefined;
    oneOf(...Object.keys(kinds))(kind, `${p}.kind`);
    kinds[kind as string]!(v, p);
  };
}

const kind = oneOf; // a record's own `kind` field, already checked by byKind
const optimizer = byKind({
  adam: record({ kind: kind('adam') }, { betas: listOf(num, 2), eps: num }),
  adamw: record({ kind: kind('adamw') }, { betas: listOf(num, 2), eps: num }),
  sgd: record({ kind: kind('sgd') }, { momentum: num, nesterov: bool, dampening: num }),
});
const schedule = byKind({
  constant: record({ kind: kind('constant') }),
  step: record({ kind: kind('step'), everyEpochs: int, gamma: num }),
  'multi-step': record({ kind: kind('multi-step'), milestones: listOf(int), gamma: num }),
  cosine: record({ kind: kind('cosine') }, { minFactor: num }),
  'one-cycle': record({ kind: kind('one-cycle') }, { pctStart: num, divFactor: num, finalDivFactor: num }),
});
const learningRates: Check = (v, p) => {
  if (typeof v === 'number') return num(v, p);
  if (!isObject(v)) return fail(p, 'a number or an object of learning rates by group', v);
  for (const [group, lr] of Object.entries(v)) num(lr, `${p}.${group}`);
};
const phase = record(
  { name: str, epochs: int, train: listOf(str), lr: learningRates, optimizer },
  { weightDecay: num, schedule, frozenBn: oneOf('train', 'frozen'), augment: bool },
);
const weights = either('a list of numbers or "balanced"', listOf(num), oneOf('balanced'));
const planShape = record(
  { name: str, batchSize: int, phases: listOf(phase) },
  {
    seed: int,
    chunkSize: int,
    loss: record({}, { labelSmoothing: num, classWeights: weights, posWeight: weights }),
    augmentation: record({}, { hflip: num, rotate: num, cropScale: listOf(num, 2), translate: num, brightness: num, contrast: num, fill: oneOf('zero', 'edge') }),
    ema: record({ decay: num }),
    mixup: record({ alpha: num }),
    cutmix: record({ alpha: num }),
    recomputeBnStats: bool,
    tta: oneOf('none', 'flip'),
    keepBest: record({ metric: oneOf('auc', 'acc', 'loss') }),
  },
);

/**
 * A plan from parsed JSON: the shape checked field by field (unknown fields refused), then `validatePlan`.
 * `seed` may be left out of the file; `defaultSeed` fills it.
 */
export function planFromJson(value: unknown, defaultSeed = 42): Plan {
  planShape(value, 'plan');
  const plan = { seed: defaultSeed, ...(value as object) } as Plan;
  validatePlan(plan);
  return plan;
}
