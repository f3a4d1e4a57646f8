import * as tf from '@tensorflow/tfjs-core';
import { channelStats, mixSeed, seededRandom, type Normalization } from '@medxfer/data';
import { InputShapeError } from '../errors.js';
import { batchNorm, type BatchNormParams } from '../ops/batchnorm.js';
import { conv2d, type Conv2dSpec } from '../ops/conv2d.js';
import { relu } from '../ops/relu.js';
import { releaseWasmKernelCaches } from '../wasm/install.js';
import { FoldedConvCache, foldedBatchNorm } from '../ops/folded.js';
import { conv3d, VOLUME_CONVOLUTIONS, volumeConv, type VolumeConvolution } from '../ops/volume-conv.js';
import { BLOCKS, bnAfter, FEATURES, groupOf, PARAM_GROUPS, stageOrder, type BlockSpec, type ConvSpec, type ParamGroup, type StageName } from './architecture.js';
import { kaimingConv, linearInit } from './init.js';
import { greyStemApplyRelu, greyStemConv, greyStemOperands } from './grey-stem.js';

export type BatchNormMode = 'train' | 'frozen';

/** How one forward pass runs. */
export interface ForwardOptions {
  /** BatchNorm mode, for every group or per group (groups not named are frozen). Default `frozen` (eval). */
  bn?: BatchNormMode | Partial<Record<ParamGroup, BatchNormMode>>;
  /** Move the running stats of BatchNorms in `train` mode (default: true when any BN trains). */
  updateStats?: boolean;
  /** Momentum of those moves: r ← (1 − m)·r + m·(batch statistic). Default 0.1, torch's. */
  bnMomentum?: number;
  /**
   * Fold each frozen BatchNorm into its convolution (one fused conv + bias + ReLU kernel): the same outputs
   * up to float rounding, faster. Inference only — no gradient flows through folded layers. Ignored with `capture`.
   */
  foldBatchNorm?: boolean;
  /** Collect intermediate activations (torchvision module names) into this map; for parity checks. */
  capture?: Map<string, tf.Tensor>;
}

export interface ResNet18Options {
  /** Outputs of `fc` (default 1000, ImageNet's). */
  numClasses?: number;
  /**
   * `rgb` (default): 3-channel input, normalised by the caller, as torchvision.
   * `grey`: 1-channel input in [0, 1]; the notebook's grey→3 channels and per-channel `normalization` are
   * folded into conv1 exactly, so grey images cost one channel. conv1 keeps its 3-channel weights.
   * `single`: a plain 1-channel conv1 (`conv1.weight` is [64, 1, 7, 7]), for training from scratch.
   */
  input?: 'rgb' | 'grey' | 'single';
  /** The normalisation folded in by `grey` input (ImageNet's by default). */
  normalization?: Normalization;
  /** Seed of the random initialisation (torchvision's schemes). */
  seed?: number;
  /**
   * Take volumes `[N, D, H, W, C]` instead of images (see {@link VolumeConvolution}), with 3D BatchNorm and
   * pooling: MedMNIST v2's ResNet-18 (ACS), (2.5D) and (3D) for its 3D datasets. `acs` and `2.5d` keep the 2D
   * weights (any 2D checkpoint loads as it is); `3d` has k×k×k kernels (a 2D checkpoint loads inflated).
   */
  volume?: VolumeConvolution;
}

/** Model input: images `[N, H, W, C]`, or volumes `[N, D, H, W, C]` for a `volume` model. */
export type ModelTensor = tf.Tensor4D | tf.Tensor5D;

/** A tensor of the model's state, in PyTorch's layout (OIHW convs, [out, in] linear). */
export interface StateTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

const IMAGENET: Normalization = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

/**
 * torchvision's ResNet18 on raw tfjs ops: symmetric explicit padding, PyTorch BatchNorm semantics
 * per group, and explicit backward passes that run on every backend (cpu, wasm, webgl, webgpu).
 * Parameters are tfjs variables keyed by torchvision's names, in tfjs layouts (HWIO convs, [in, out] fc).
 */
export class ResNet18 {
  readonly numClasses: number;
  readonly input: 'rgb' | 'grey' | 'single';
  readonly normalization: Normalization | undefined;
  readonly volume: VolumeConvolution | undefined;
  /** Trainable parameters by torchvision name. */
  readonly params = new Map<string, tf.Variable>();
  /** BatchNorm running statistics by torchvision name (not trainable). */
  readonly buffers = new Map<string, tf.Variable>();
  /** `num_batches_tracked` per BatchNorm prefix. */
  readonly batchesTracked = new Map<string, number>();
  private disposed = false;
  /** Inference's folded conv → BatchNorm weights (`foldBatchNorm`), rebuilt when a source tensor changes. */
  private readonly folded = new FoldedConvCache();

  constructor(options: ResNet18Options = {}) {
    this.numClasses = options.numClasses ?? 1000;
    this.input = options.input ?? 'rgb';
    this.normalization = this.input === 'grey' ? (options.normalization ?? IMAGENET) : undefined;
    this.volume = options.volume;
    if (this.volume !== undefined && !VOLUME_CONVOLUTIONS.includes(this.volume)) throw new InputShapeError(`volume must be one of ${VOLUME_CONVOLUTIONS.join(', ')}, got ${String(this.volume)}`);
    if (!Number.isInteger(this.numClasses) || this.numClasses < 1) throw new InputShapeError(`numClasses must be a positive integer, got ${this.numClasses}`);
    const random = seededRandom(mixSeed(options.seed ?? 0, 1));
    const convs: ConvSpec[] = [
      { name: 'conv1', inChannels: this.input === 'single' ? 1 : 3, outChannels: 64, kernel: 7, stride: 2, pad: 3 },
      ...BLOCKS.flatMap((b) => [b.conv1, b.conv2, ...(b.downsample ? [b.downsample] : [])]),
    ];
    // 3D kernels have a depth too (DHWIO); the others are 2D (HWIO).
    const depthOf = (kernel: number) => (this.volume === '3d' ? [kernel] : []);
    for (const c of convs) {
      const shape = [...depthOf(c.kernel), c.kernel, c.kernel, c.inChannels, c.outChannels];
      const count = shape.reduce((a, b) => a * b, 1);
      this.addParam(`${c.name}.weight`, tf.tensor(kaimingConv(c.outChannels, count / (c.inChannels * c.outChannels), count, random), shape));
      const bn = c.name === 'conv1' ? 'bn1' : bnAfter(c.name);
      this.addParam(`${bn}.weight`, tf.ones([c.outChannels]));
      this.addParam(`${bn}.bias`, tf.zeros([c.outChannels]));
      this.buffers.set(`${bn}.running_mean`, tf.tidy(() => tf.variable(tf.zeros([c.outChannels]), false)));
      this.buffers.set(`${bn}.running_var`, tf.tidy(() => tf.variable(tf.ones([c.outChannels]), false)));
      this.batchesTracked.set(bn, 0);
    }
    this.replaceHead(this.numClasses, mixSeed(options.seed ?? 0, 2));
  }

  private addParam(name: string, value: tf.Tensor): void {
    this.params.get(name)?.dispose();
    this.params.set(name, tf.variable(value, true));
    value.dispose();
  }

  /** Replaces `fc` with a freshly initialised layer of `numClasses` outputs (the notebook's `model.fc = Linear(512, 2)`). */
  replaceHead(numClasses: number, seed = 0): void {
    const { weight, bias } = linearInit(FEATURES, numClasses, seed);
    // nn.Linear draws weight [out, in]; stored transposed as [in, out].
    this.addParam('fc.weight', tf.tidy(() => tf.transpose(tf.tensor2d(weight, [numClasses, FEATURES]))));
    this.addParam('fc.bias', tf.tensor1d(bias));
    (this as { numClasses: number }).numClasses = numClasses;
  }

  /** Names of the trainable parameters in the given groups (all groups by default). */
  parameterNames(groups: readonly ParamGroup[] = PARAM_GROUPS): string[] {
    return [...this.params.keys()].filter((n) => groups.includes(groupOf(n)));
  }

  /** Number of trainable scalars (ResNet18 with 1000 classes: 11,689,512). */
  countParameters(groups?: readonly ParamGroup[]): number {
    return this.parameterNames(groups).reduce((sum, n) => sum + this.params.get(n)!.size, 0);
  }

  private bnParams(prefix: string): BatchNormParams {
    return {
      gamma: this.params.get(`${prefix}.weight`)! as tf.Tensor as tf.Tensor1D,
      beta: this.params.get(`${prefix}.bias`)! as tf.Tensor as tf.Tensor1D,
      runningMean: this.buffers.get(`${prefix}.running_mean`)!,
      runningVar: this.buffers.get(`${prefix}.running_var`)!,
    };
  }

  private checkInput(x: tf.Tensor): void {
    if (this.disposed) throw new InputShapeError('this model was disposed');
    const channels = this.input === 'rgb' ? 3 : 1;
    const rank = this.volume ? 5 : 4;
    if (x.rank !== rank || x.shape[rank - 1] !== channels) {
      const expected = this.volume ? `NDHWC volumes [N, D, H, W, ${channels}]` : `NHWC images [N, H, W, ${channels}]`;
      throw new InputShapeError(`ResNet18 (${this.input} input${this.volume ? `, ${this.volume}` : ''}) takes ${expected}, got [${x.shape.join(', ')}]`);
    }
    const sides = x.shape.slice(1, rank - 1);
    if (sides.some((side) => side < 28)) throw new InputShapeError(`ResNet18 needs ${this.volume ? 'volumes' : 'images'} of at least 28 per side, got ${sides.join('×')}`);
  }

  /** The pooled 512-d features: everything but `fc`. */
  features(x: ModelTensor, options: ForwardOptions = {}): tf.Tensor2D {
    const pooled = tf.mean(this.trunk(x, options), x.rank === 5 ? [1, 2, 3] : [1, 2]) as tf.Tensor2D;
    if (options.capture) options.capture.set('avgpool', tf.keep(tf.clone(pooled)));
    return pooled;
  }

  /** The output of `layer4`, `[N, H/32, W/32, 512]` (volumes: `[N, D/32, H/32, W/32, 512]`). */
  trunk<T extends ModelTensor>(x: T, options: ForwardOptions = {}): T {
    return this.layerOutput(x, 'layer4', options);
  }

  /** The output of a stage (`layer1` … `layer4`: `[N, H/4, W/4, 64]` … `[N, H/32, W/32, 512]`), e.g. for Grad-CAM. */
  layerOutput<T extends ModelTensor>(x: T, layer: StageName, options: ForwardOptions = {}): T {
    this.checkInput(x);
    const pass = this.pass(options);
    return this.runBlocks(this.stem(x, pass), BLOCKS.filter((b) => stageOrder(b.group, layer) <= 0), pass) as T;
  }

  /** Runs the stages after `layer` on its output `h`, up to `layer4`'s output (Grad-CAM's score of an earlier stage). */
  continueFrom<T extends ModelTensor>(h: T, layer: StageName, options: ForwardOptions = {}): T {
    return this.runBlocks(h, BLOCKS.filter((b) => stageOrder(b.group, layer) > 0), this.pass(options)) as T;
  }

  /** The per-pass helpers: BatchNorm modes, folding, capture. */
  private pass(options: ForwardOptions) {
    const modeOf = (group: ParamGroup): BatchNormMode => (typeof options.bn === 'string' ? options.bn : (options.bn?.[group] ?? 'frozen'));
    const updateStats = options.updateStats ?? PARAM_GROUPS.some((g) => modeOf(g) === 'train');
    const capture = (name: string, t: tf.Tensor) => {
      if (options.capture) options.capture.set(name, tf.keep(tf.clone(t)));
    };
    const bn = <T extends ModelTensor>(prefix: string, t: T, group: ParamGroup): T => {
      const mode = modeOf(group);
      if (mode === 'train' && updateStats) this.batchesTracked.set(prefix, this.batchesTracked.get(prefix)! + 1);
      if (t.rank === 4) return batchNorm(t as tf.Tensor4D, this.bnParams(prefix), mode, updateStats, options.bnMomentum) as T;
      // BatchNorm3d is BatchNorm over [N, D, H·W, C]: the same per-channel statistics.
      const [n, d, h, w, c] = t.shape;
      return tf.reshape(batchNorm(tf.reshape(t, [n!, d!, h! * w!, c!]), this.bnParams(prefix), mode, updateStats, options.bnMomentum), t.shape) as T;
    };
    // Volume models never fold: their convolutions are reshaped 2D ones, with no fused kernel to fold into.
    const fold = (group: ParamGroup) => options.foldBatchNorm === true && !options.capture && !this.volume && modeOf(group) === 'frozen';
    const conv = <T extends ModelTensor>(t: T, weight: tf.Tensor, spec: Conv2dSpec): T => {
      if (this.volume === '3d') return conv3d(t as tf.Tensor5D, weight as tf.Tensor5D, spec) as T;
      return (this.volume ? volumeConv(t as tf.Tensor5D, weight as tf.Tensor4D, spec, this.volume) : conv2d(t as tf.Tensor4D, weight as tf.Tensor4D, spec)) as T;
    };
    // conv → BatchNorm (→ + residual) (→ ReLU), folded into one kernel where allowed.
    const convBn = <T extends ModelTensor>(spec: ConvSpec, t: T, group: ParamGroup, withRelu: boolean, residual?: T): T => {
      const weight = this.params.get(`${spec.name}.weight`)! as tf.Tensor as tf.Tensor4D;
      if (fold(group)) {
        const epilogue = { relu: withRelu, ...(residual ? { residual: residual as tf.Tensor as tf.Tensor4D } : {}) };
        return this.folded.convBatchNorm(spec.name, t as tf.Tensor4D, weight, this.bnParams(bnAfter(spec.name)), spec, epilogue) as T;
      }
      const y = bn(bnAfter(spec.name), conv(t, weight, { stride: spec.stride, pad: spec.pad, inputGrad: true }), group);
      const sum = residual ? (tf.add(y, residual) as T) : y;
      return withRelu ? relu(sum) : sum;
    };
    return { capture, bn, fold, conv, convBn };
  }

  /** conv1, bn1, ReLU and max-pool. */
  private stem(x: ModelTensor, pass: ReturnType<ResNet18['pass']>): ModelTensor {
    if (x.rank === 5) return this.volumeStem(x as tf.Tensor5D, pass);
    return this.imageStem(x as tf.Tensor4D, pass);
  }

  private imageStem(x: tf.Tensor4D, pass: ReturnType<ResNet18['pass']>): tf.Tensor4D {
    const { capture, fold } = pass;
    const conv1Weight = this.params.get('conv1.weight')! as tf.Tensor as tf.Tensor4D;
    let h: tf.Tensor4D;
    if (fold('stem') && this.input === 'grey') {
      h = this.foldedGreyStem(x, conv1Weight);
    } else if (fold('stem')) {
      h = this.folded.convBatchNorm('conv1', x, conv1Weight, this.bnParams('bn1'), { stride: 2, pad: 3 }, { relu: true });
    } else {
      h = this.stemBnRelu(this.input === 'grey' ? greyStemConv(x, conv1Weight, this.normalization!) : conv2d(x, conv1Weight, { stride: 2, pad: 3, inputGrad: false }), pass);
    }
    h = tf.maxPool(h, 3, 2, 1);
    capture('maxpool', h);
    return h;
  }

  /**
   * conv1 → bn1 (running statistics) → ReLU on grey input, folded: the grey stem is linear in its weight, so
   * the BatchNorm scale goes into the weight and its shift into the position-dependent bias map, both kept per
   * weight and image size (inference runs one convolution with the bias map and ReLU in its epilogue, or a
   * convolution, an add and a ReLU where medxfer's wasm kernels do not run).
   */
  private foldedGreyStem(x: tf.Tensor4D, conv1Weight: tf.Tensor4D): tf.Tensor4D {
    const [, h, w] = x.shape;
    const bn = this.bnParams('bn1');
    const [kernel, bias] = this.folded.remember(`conv1@grey@${h}x${w}`, [conv1Weight, bn.gamma, bn.beta, bn.runningMean, bn.runningVar], () => {
      const { scale, shift } = foldedBatchNorm(bn);
      const operands = greyStemOperands(tf.mul(conv1Weight, scale) as tf.Tensor4D, this.normalization!, h, w);
      return [operands.kernel, tf.sub(shift, operands.bias) as tf.Tensor4D];
    });
    return greyStemApplyRelu(x, kernel!, bias!);
  }

  /** conv1's output through bn1 and ReLU, each captured under torchvision's module name. */
  private stemBnRelu<T extends ModelTensor>(conv1: T, { capture, bn }: ReturnType<ResNet18['pass']>): T {
    capture('conv1', conv1);
    const normalised = bn('bn1', conv1, 'stem');
    capture('bn1', normalised);
    const h = relu(normalised);
    capture('relu', h);
    return h;
  }

  /** The stem on volumes: grey input normalised to 3 channels explicitly (no folding), 3D max-pool. */
  private volumeStem(x: tf.Tensor5D, pass: ReturnType<ResNet18['pass']>): tf.Tensor5D {
    const { capture, conv } = pass;
    let input = x;
    if (this.input === 'grey') {
      const stats = [0, 1, 2].map((c) => channelStats(this.normalization!, c));
      input = tf.div(tf.sub(x, stats.map((s) => s.mean)), stats.map((s) => s.std)) as tf.Tensor5D;
    }
    let h = this.stemBnRelu(conv(input, this.params.get('conv1.weight')!, { stride: 2, pad: 3, inputGrad: false }), pass);
    h = tf.maxPool3d(h, 3, 2, 1);
    capture('maxpool', h);
    return h;
  }

  /** BasicBlocks in order: conv–BN–ReLU–conv–BN, plus the (downsampled) identity, then ReLU. */
  private runBlocks<T extends ModelTensor>(h: T, blocks: readonly BlockSpec[], pass: ReturnType<ResNet18['pass']>): T {
    const { capture, convBn } = pass;
    for (const block of blocks) {
      const inner = convBn(block.conv1, h, block.group, true);
      const identity = block.downsample ? convBn(block.downsample, h, block.group, false) : h;
      h = convBn(block.conv2, inner, block.group, true, identity);
      if (block.prefix.endsWith('.1')) capture(block.prefix.slice(0, -2), h);
    }
    return h;
  }

  /** `fc`: logits from pooled features. */
  head(features: tf.Tensor2D): tf.Tensor2D {
    return tf.add(tf.matMul(features, this.params.get('fc.weight')! as tf.Tensor as tf.Tensor2D), this.params.get('fc.bias')!) as tf.Tensor2D;
  }

  /** Logits `[N, numClasses]` for NHWC input (NDHWC for volumes). Eval mode (frozen BN) unless `options.bn` says otherwise. */
  apply(x: ModelTensor, options: ForwardOptions = {}): tf.Tensor2D {
    const logits = this.head(this.features(x, options));
    if (options.capture) options.capture.set('fc', tf.keep(tf.clone(logits)));
    return logits;
  }

  /** Inference in eval mode with the BatchNorms folded into the convolutions (images), inside `tf.tidy`. */
  predict(x: ModelTensor): tf.Tensor2D {
    return tf.tidy(() => this.apply(x, { foldBatchNorm: true }));
  }

  /**
   * Frees the folded weight copies that `foldBatchNorm` inference keeps between calls (they are rebuilt on
   * the next folded call, and whenever a weight or running statistic changes anyway).
   */
  releaseFoldedWeights(): void {
    this.folded.dispose();
    releaseWasmKernelCaches();
  }

  /** Every variable (parameters and running stats), for optimisers, checkpoints and disposal. */
  allVariables(): Map<string, tf.Variable> {
    return new Map([...this.params, ...this.buffers]);
  }

  dispose(): void {
    this.folded.dispose();
    for (const v of this.allVariables().values()) v.dispose();
    releaseWasmKernelCaches();
    this.params.clear();
    this.buffers.clear();
    this.disposed = true;
  }
}

export { groupOf };
