// Consumer program (d): the published .d.ts files resolve through `exports` (types first) under
// TypeScript's NodeNext resolution, for the core and the ./node entries, and are real types (not any).
import * as tf from '@tensorflow/tfjs-core';
import { openMedMNIST, type DatasetSplit, type FileStore } from '@medxfer/data';
import { nodeStore } from '@medxfer/data/node';
import { ResNet18, loadStateDict, readCheckpoint, type LoadStateReport } from '@medxfer/models';
import { saveModelToDir } from '@medxfer/models/node';
import { notebookPlan, train, type Plan, type TrainingResult } from '@medxfer/train';
import { decodeTrainingState } from '@medxfer/train/node';
import { binaryReport, type BinaryReport } from '@medxfer/metrics';
import { rocAuc } from '@medxfer/metrics/node';

export async function example(bytes: Uint8Array, checkpoint: Uint8Array): Promise<[TrainingResult, BinaryReport, LoadStateReport]> {
  const store: FileStore = nodeStore('/tmp/medmnist');
  const data = openMedMNIST(bytes, { flag: 'pneumoniamnist', verify: false, source: store.locate('pneumoniamnist.npz') });
  const split: DatasetSplit = data.splits.train;
  const model = new ResNet18({ numClasses: 2, input: 'single' });
  const report = loadStateDict(model, readCheckpoint(checkpoint), { strict: false });
  const plan: Plan = notebookPlan({ epochsHead: 1, epochsFull: 1 });
  const result = await train({ model, plan, train: split, transform: { size: 28, channels: 1 } });
  const logits: tf.Tensor2D = model.predict(tf.zeros([1, 28, 28, 1]) as tf.Tensor4D);
  logits.dispose();
  await saveModelToDir('/tmp/model', model, { classNames: ['a', 'b'], inputSize: 28, normalization: { mean: [0], std: [1] }, task: 'binary-class', dataset: 'x', weightsSource: 'none' });
  void decodeTrainingState;
  const auc: number = rocAuc([0, 1], [0.2, 0.8]);
  void auc;
  return [result, binaryReport([0, 1], [0.2, 0.8]), report];
}

// @ts-expect-error: the declarations are real types, so a report is not a number.
export const wrong: number = binaryReport([0, 1], [0.2, 0.8]);
// @ts-expect-error: and a plan needs its phases.
export const badPlan: Plan = { name: 'x', batchSize: 1, seed: 0 };
