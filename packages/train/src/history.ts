/** One row of the training history. */
export interface EpochRecord {
  readonly phase: string;
  /** 1-based epoch over the whole plan, and within the phase. */
  readonly epoch: number;
  readonly phaseEpoch: number;
  readonly lr: number;
  readonly trainLoss: number;
  readonly trainAcc: number;
  readonly valLoss?: number;
  readonly valAcc?: number;
  readonly valAuc?: number;
  readonly seconds: number;
  readonly imgPerS: number;
  /** True when the head trained on cached body features. */
  readonly cachedFeatures: boolean;
}
