/** Base class of the errors `@medxfer/train` throws. */
export class TrainError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The loss became NaN or ±Inf: training stopped before the bad step changed any weight. */
export class NonFiniteLossError extends TrainError {
  constructor(readonly phase: string, readonly epoch: number, readonly batch: number, readonly loss: number) {
    super(
      'NON_FINITE_LOSS',
      `loss is ${loss} at phase "${phase}", epoch ${epoch + 1}, batch ${batch + 1}; training stopped and the weights are those before this step. Lower the learning rate (or check the input data for NaN) and resume from the last checkpoint.`,
    );
  }
}

/** A plan or option that cannot run (bad numbers, unknown groups or presets). */
export class PlanError extends TrainError {
  constructor(message: string) {
    super('BAD_PLAN', message);
  }
}

/** A training checkpoint that cannot be resumed (corrupt, or made by another plan or model). */
export class ResumeError extends TrainError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('BAD_CHECKPOINT', message, options);
  }
}

/** Training was stopped through `TrainerOptions.signal`; the last finished epoch's state was handed to the callbacks. */
export class TrainingAborted extends TrainError {
  constructor(readonly reason: unknown) {
    super('ABORTED', `training stopped${typeof reason === 'string' ? `: ${reason}` : ''}`);
  }
}

/** Probabilities that cannot be right (not finite, outside [0, 1], softmax rows not summing to 1): a broken backend or model. */
export class NonFiniteOutputError extends TrainError {
  constructor(message: string) {
    super('BAD_OUTPUT', message);
  }
}
