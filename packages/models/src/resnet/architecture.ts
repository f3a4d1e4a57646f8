/** The parameter groups training can freeze or give their own learning rate (fastai-style). */
export type ParamGroup = 'stem' | 'layer1' | 'layer2' | 'layer3' | 'layer4' | 'head';
export const PARAM_GROUPS: readonly ParamGroup[] = ['stem', 'layer1', 'layer2', 'layer3', 'layer4', 'head'];

/** The four stages of BasicBlocks; stage k's output is 1/2^(k+1) of the input size (layer4: 1/32). */
export type StageName = 'layer1' | 'layer2' | 'layer3' | 'layer4';
export const STAGES: readonly StageName[] = ['layer1', 'layer2', 'layer3', 'layer4'];

/** Where a block's stage lies against `stage`: negative before it, 0 in it, positive after. */
export const stageOrder = (group: ParamGroup, stage: StageName): number => STAGES.indexOf(group as StageName) - STAGES.indexOf(stage);

export interface ConvSpec {
  readonly name: string;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernel: number;
  readonly stride: number;
  readonly pad: number;
}

export interface BlockSpec {
  readonly prefix: string;
  readonly group: ParamGroup;
  readonly conv1: ConvSpec;
  readonly conv2: ConvSpec;
  readonly downsample?: ConvSpec;
}

const conv = (name: string, inChannels: number, outChannels: number, kernel: number, stride: number, pad: number): ConvSpec => ({ name, inChannels, outChannels, kernel, stride, pad });

/** torchvision's ResNet18 BasicBlocks, in order: 4 stages × 2 blocks, 64/128/256/512 channels. */
export const BLOCKS: readonly BlockSpec[] = [64, 128, 256, 512].flatMap((width, stage) =>
  [0, 1].map((b): BlockSpec => {
    const prefix = `layer${stage + 1}.${b}`;
    const inChannels = b === 0 && stage > 0 ? width / 2 : width;
    const stride = b === 0 && stage > 0 ? 2 : 1;
    return {
      prefix,
      group: `layer${stage + 1}` as ParamGroup,
      conv1: conv(`${prefix}.conv1`, inChannels, width, 3, stride, 1),
      conv2: conv(`${prefix}.conv2`, width, width, 3, 1, 1),
      ...(stride !== 1 ? { downsample: conv(`${prefix}.downsample.0`, inChannels, width, 1, stride, 0) } : {}),
    };
  }),
);

export const FEATURES = 512;

/** The BatchNorm that follows each conv, by torchvision's naming. */
export const bnAfter = (convName: string): string => (convName.endsWith('downsample.0') ? convName.replace(/0$/, '1') : convName.replace(/conv(\d)$/, 'bn$1'));

/** The group a torchvision parameter name belongs to. */
export function groupOf(name: string): ParamGroup {
  const match = /^(layer[1-4])\./.exec(name);
  if (match) return match[1] as ParamGroup;
  return name.startsWith('fc.') ? 'head' : 'stem';
}
