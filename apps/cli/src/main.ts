import { DataError, DatasetUnavailableError } from '@medxfer/data';
import { CheckpointError, ModelError, wasmHeapUsage, WasmOutOfMemoryError } from '@medxfer/models';
import { MetricsError } from '@medxfer/metrics';
import { PlanError, ResumeError, TrainError } from '@medxfer/train';
import { helpText, parseArgs, type CommandSpec, type ParsedArgs } from './args.js';
import { BackendUnavailableError } from './backend.js';
import { UsageError } from './errors.js';
import { versions } from './run-config.js';
import { makeOutput, type Output } from './output.js';
import * as datasets from './commands/datasets.js';

interface Command {
  readonly spec: CommandSpec;
  /** Resolves to an exit code when it is not 0 (e.g. 130 after Ctrl-C). */
  readonly run: (args: ParsedArgs, out: Output) => Promise<void | number>;
}

/** Commands by their words; loaded lazily so `datasets list` does not start tfjs. */
const COMMANDS: Record<string, () => Promise<Command>> = {
  'datasets list': async () => ({ spec: datasets.listSpec, run: datasets.datasetsList }),
  'datasets info': async () => ({ spec: datasets.infoSpec, run: datasets.datasetsInfo }),
  'datasets download': async () => ({ spec: datasets.downloadSpec, run: datasets.datasetsDownload }),
  'datasets montage': async () => ({ spec: datasets.montageSpec, run: datasets.datasetsMontage }),
  'datasets save': async () => ({ spec: datasets.saveSpec, run: datasets.datasetsSave }),
  train: async () => {
    const m = await import('./commands/train.js');
    return { spec: m.trainSpec, run: m.trainCommand };
  },
  evaluate: async () => {
    const m = await import('./commands/evaluate.js');
    return { spec: m.evaluateSpec, run: m.evaluateCommand };
  },
  predict: async () => {
    const m = await import('./commands/predict.js');
    return { spec: m.predictSpec, run: m.predictCommand };
  },
  infer: async () => {
    const m = await import('./commands/infer.js');
    return { spec: m.inferSpec, run: m.inferCommand };
  },
  metrics: async () => {
    const m = await import('./commands/metrics.js');
    return { spec: m.metricsSpec, run: m.metricsCommand };
  },
  'weights import': async () => {
    const m = await import('./commands/weights.js');
    return { spec: m.importSpec, run: m.weightsImport };
  },
  'weights export': async () => {
    const m = await import('./commands/weights.js');
    return { spec: m.exportSpec, run: m.weightsExport };
  },
  'weights download': async () => {
    const m = await import('./commands/weights.js');
    return { spec: m.downloadSpec, run: m.weightsDownload };
  },
};

const USAGE = `medxfer — transfer learning on medical images with TensorFlow.js

Usage: medxfer <command> [flags]   (medxfer <command> --help for its flags)

Commands:
  datasets list | info | download | montage | save
  train        fine-tune ResNet18 (the notebook's recipe by default) and write a run folder
  evaluate     metrics of a trained model on a split
  predict      classify PNG/JPEG images, optionally with a Grad-CAM overlay
  infer        raw logits of an NCHW .npy batch (parity with PyTorch)
  metrics      the full metrics report for any labels and scores
  weights      import a torchvision .pth, export a model to PyTorch, or download the ImageNet ResNet18`;

/** `medxfer datasets --help`: each subcommand with its summary. */
async function groupHelp(group: readonly string[]): Promise<string> {
  const lines = await Promise.all(group.map(async (k) => `  medxfer ${k.padEnd(18)} ${(await COMMANDS[k]!()).spec.summary}`));
  return `Subcommands (medxfer ${group[0]!.split(' ')[0]} <subcommand> --help for its flags):\n${lines.join('\n')}`;
}

/** Runs the CLI; returns the exit code (0 ok, 1 failure, 2 usage error or bad input). */
export async function main(argv: readonly string[], output?: Output): Promise<number> {
  const json = argv.includes('--json');
  const out = output ?? makeOutput(json);
  try {
    if (argv.length === 0 || argv[0] === '--help' || argv[0] === 'help') {
      out.line(USAGE);
      return argv.length === 0 ? 2 : 0;
    }
    if (argv[0] === '--version') {
      out.line(`medxfer ${(await versions())['@medxfer/cli']}`);
      return 0;
    }
    const two = `${argv[0]} ${argv[1] ?? ''}`.trim();
    const key = COMMANDS[two] ? two : COMMANDS[argv[0]!] ? argv[0]! : undefined;
    if (!key) {
      const group = Object.keys(COMMANDS).filter((k) => k.startsWith(`${argv[0]} `));
      if (group.length && (argv[1] === '--help' || argv[1] === 'help')) {
        out.line(await groupHelp(group));
        return 0;
      }
      throw new UsageError(group.length ? `"medxfer ${argv[0]}" needs a subcommand: ${group.map((k) => k.split(' ')[1]).join(', ')}` : `unknown command "${argv[0]}"; run medxfer --help`);
    }
    const command = await COMMANDS[key]!();
    const args = parseArgs(argv.slice(key.split(' ').length), command.spec);
    if (args.flags.help) {
      out.line(helpText(command.spec));
      return 0;
    }
    return (await command.run(args, out)) ?? 0;
  } catch (error) {
    return reportError(error, out);
  }
}

/** File-system errors in words: the path given is wrong (exit 2), or the environment failed (exit 1). */
const FS_ERRORS: Record<string, { text: string; code: 1 | 2 }> = {
  EEXIST: { text: 'already exists (and is not a folder medxfer can use)', code: 2 },
  ENOTDIR: { text: 'a file stands where a folder is needed', code: 2 },
  EISDIR: { text: 'is a folder, not a file', code: 2 },
  EACCES: { text: 'permission denied', code: 1 },
  EPERM: { text: 'operation not permitted', code: 1 },
  EROFS: { text: 'the file system is read-only', code: 1 },
  ENOSPC: { text: 'the disk is full; free some space and run again (with --resume for a training run)', code: 1 },
  EMFILE: { text: 'too many open files', code: 1 },
};

/**
 * Running out of the wasm heap, in words: a failed allocation (the heap guard's error), or a trap inside
 * tfjs-wasm's own code (its allocations in C++ are not guarded) while the heap is near its 4 GiB.
 */
function memoryFailure(error: unknown): string | undefined {
  if (error instanceof WasmOutOfMemoryError) return error.message;
  if (!(error instanceof WebAssembly.RuntimeError)) return undefined;
  const inUse = wasmHeapUsage()?.peakBytes ?? 0;
  const cause = error.message.split('\n')[0];
  if (inUse < 3 * 2 ** 30) return `the wasm backend failed inside its WebAssembly code (${cause}); run again, and report it if it repeats`;
  return `out of memory: the wasm backend failed (${cause}) with ${(inUse / 2 ** 30).toFixed(1)} GiB of its 4 GiB heap in use; use a smaller --micro-batch (or --resize)`;
}

/** One clear line on stderr; exit 2 for usage errors and bad input, 1 for the environment (network, disk) and everything else. */
function reportError(error: unknown, out: Output): number {
  const fsError = FS_ERRORS[(error as NodeJS.ErrnoException)?.code ?? ''];
  if (fsError) {
    const path = (error as NodeJS.ErrnoException).path;
    out.note(`medxfer: ${path ? `${path}: ` : ''}${fsError.text}`);
    return fsError.code;
  }
  const memory = memoryFailure(error);
  if (memory) {
    out.note(`medxfer: ${memory}`);
    return 1;
  }
  const message = error instanceof Error ? error.message : String(error);
  // A dataset or weights file that cannot be had (offline, the host down) is the environment's failure, not the input's.
  const unavailable = error instanceof DatasetUnavailableError || (error instanceof ModelError && error.code === 'WEIGHTS_UNAVAILABLE');
  const badInput =
    !unavailable &&
    (error instanceof UsageError ||
    error instanceof DataError ||
    error instanceof CheckpointError ||
    error instanceof MetricsError ||
    error instanceof PlanError ||
    error instanceof ResumeError ||
    (error as NodeJS.ErrnoException)?.code === 'ENOENT' ||
    error instanceof ModelError);
  const known = badInput || unavailable || error instanceof TrainError || error instanceof ModelError || error instanceof BackendUnavailableError;
  out.note(`medxfer: ${known ? message : `unexpected error: ${error instanceof Error && error.stack ? error.stack : message}`}`);
  return badInput || error instanceof BackendUnavailableError ? 2 : 1;
}
