import { UsageError } from './errors.js';

export type FlagType = 'string' | 'number' | 'int' | 'boolean' | 'list';

export interface FlagSpec {
  readonly type: FlagType;
  readonly description: string;
  readonly default?: string | number | boolean;
  readonly choices?: readonly string[];
  /** Value placeholder in help, e.g. DIR. */
  readonly value?: string;
}

export interface CommandSpec {
  /** Words of the command, e.g. `datasets info`. */
  readonly name: string;
  readonly summary: string;
  readonly positionals?: readonly { name: string; required?: boolean; variadic?: boolean; description: string }[];
  readonly flags: Readonly<Record<string, FlagSpec>>;
  readonly examples?: readonly string[];
}

export type FlagValue = string | number | boolean | string[] | undefined;
export interface ParsedArgs {
  readonly flags: Record<string, FlagValue>;
  readonly positionals: string[];
  /** The flags the user gave (the others hold their defaults). */
  readonly given: ReadonlySet<string>;
}

/** Flags every command takes. */
export const GLOBAL_FLAGS: Record<string, FlagSpec> = {
  json: { type: 'boolean', description: 'print one JSON object on stdout and nothing else' },
  help: { type: 'boolean', description: 'show this help' },
};

function convert(name: string, spec: FlagSpec, raw: string): FlagValue {
  if (spec.choices && !spec.choices.includes(raw)) throw new UsageError(`--${name} must be one of ${spec.choices.join(', ')}; got "${raw}"`);
  switch (spec.type) {
    case 'number': {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${name} needs a number, got "${raw}"`);
      return n;
    }
    case 'int': {
      const n = Number(raw);
      if (!/^-?\d+$/.test(raw.trim()) || !Number.isSafeInteger(n)) throw new UsageError(`--${name} needs a whole number, got "${raw}"`);
      return n;
    }
    case 'list':
      return raw.split(',').map((s) => s.trim()).filter(Boolean);
    default:
      return raw;
  }
}

/** Strict parsing: unknown flags, missing values, bad numbers and extra words are usage errors. */
export function parseArgs(argv: readonly string[], spec: CommandSpec): ParsedArgs {
  const all = { ...GLOBAL_FLAGS, ...spec.flags };
  const flags: Record<string, FlagValue> = {};
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      let name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
      let negated = false;
      if (!(name in all) && name.startsWith('no-') && all[name.slice(3)]?.type === 'boolean') (negated = true), (name = name.slice(3));
      const flag = all[name];
      if (!flag) throw new UsageError(`unknown flag --${name} for "medxfer ${spec.name}"`);
      if (flag.type === 'boolean') {
        if (eq >= 0) throw new UsageError(`--${name} takes no value`);
        flags[name] = !negated;
        continue;
      }
      const raw = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
      if (raw === undefined || (eq < 0 && raw.startsWith('--'))) throw new UsageError(`--${name} needs a value${flag.value ? ` (${flag.value})` : ''}`);
      flags[name] = convert(name, flag, raw);
    } else if (arg.startsWith('-') && arg.length > 1 && !/^-\d/.test(arg)) {
      throw new UsageError(`unknown option ${arg} for "medxfer ${spec.name}" (flags start with --)`);
    } else {
      positionals.push(arg);
    }
  }
  const given = new Set(Object.keys(flags));
  for (const [name, flag] of Object.entries(all)) if (flags[name] === undefined && flag.default !== undefined) flags[name] = flag.default;
  if (flags.help) return { flags, positionals, given };
  const specs = spec.positionals ?? [];
  const variadic = specs.some((p) => p.variadic);
  const required = specs.filter((p) => p.required).length;
  if (positionals.length < required) throw new UsageError(`"medxfer ${spec.name}" needs ${specs.filter((p) => p.required).map((p) => `<${p.name}>`).join(' ')}`);
  if (!variadic && positionals.length > specs.length) throw new UsageError(`unexpected argument "${positionals[specs.length]}" for "medxfer ${spec.name}"`);
  return { flags, positionals, given };
}

/** Help text of a command. */
export function helpText(spec: CommandSpec): string {
  const pos = (spec.positionals ?? []).map((p) => (p.required ? `<${p.name}>` : `[${p.name}]`) + (p.variadic ? '…' : '')).join(' ');
  const lines = [`medxfer ${spec.name} ${pos}`.trimEnd(), '', spec.summary, ''];
  for (const p of spec.positionals ?? []) lines.push(`  ${p.name.padEnd(24)} ${p.description}`);
  for (const [name, f] of Object.entries({ ...spec.flags, ...GLOBAL_FLAGS })) {
    const left = `--${name}${f.type === 'boolean' ? '' : ` ${f.value ?? f.type.toUpperCase()}`}`;
    const extra = [f.choices ? `one of ${f.choices.join('|')}` : '', f.default !== undefined && f.type !== 'boolean' ? `default ${f.default}` : ''].filter(Boolean).join('; ');
    lines.push(`  ${left.padEnd(24)} ${f.description}${extra ? ` (${extra})` : ''}`);
  }
  if (spec.examples?.length) lines.push('', 'Examples:', ...spec.examples.map((e) => `  ${e}`));
  return lines.join('\n');
}
