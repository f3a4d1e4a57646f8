/** Base class of the errors `@medxfer/models` throws about models and weights. */
export class ModelError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A state dict that does not fit the model: missing, unexpected or mis-shaped keys. */
export class StateDictMismatchError extends ModelError {
  constructor(
    readonly missing: readonly string[],
    readonly unexpected: readonly string[],
    readonly misshaped: readonly { name: string; expected: readonly number[]; actual: readonly number[] }[],
  ) {
    const parts = [
      missing.length ? `missing keys: ${missing.join(', ')}` : '',
      unexpected.length ? `unexpected keys: ${unexpected.join(', ')}` : '',
      misshaped.length ? `wrong shapes: ${misshaped.map((m) => `${m.name} is [${m.actual.join(', ')}], expected [${m.expected.join(', ')}]`).join('; ')}` : '',
    ].filter(Boolean);
    super('STATE_DICT_MISMATCH', `the weights do not fit a torchvision ResNet18: ${parts.join('; ')}. Pass strict: false to load what fits.`);
  }
}

/** Input of the wrong rank, size or channel count. */
export class InputShapeError extends ModelError {
  constructor(message: string) {
    super('INPUT_SHAPE', message);
  }
}
