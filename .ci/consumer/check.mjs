// A tiny test harness for the consumer programs (they run in a scratch project with no test runner).
// Each check prints `ok` or `not ok`; `summary()` prints `RESULT <passed> <failed>` for
// .ci/consumer-test.sh and sets the exit code.
let passed = 0;
let failed = 0;

export async function check(name, fn) {
  const started = Date.now();
  try {
    await fn();
    passed++;
    console.log(`  ok     ${name} (${Date.now() - started} ms)`);
  } catch (error) {
    failed++;
    console.log(`  not ok ${name}\n         ${String(error?.stack ?? error).split('\n').slice(0, 6).join('\n         ')}`);
  }
}

export function assert(condition, message) {
  if (!condition) throw new Error(`assertion failed: ${message}`);
}

export function close(actual, expected, atol, rtol, what) {
  const limit = atol + rtol * Math.abs(expected);
  if (!(Math.abs(actual - expected) <= limit)) throw new Error(`${what}: got ${actual}, expected ${expected} ± ${limit}`);
}

/** The shared fixtures: $MEDXFER_SHARED (set by .ci/consumer-test.sh). */
export function shared(...parts) {
  const root = process.env.MEDXFER_SHARED;
  if (!root) throw new Error('MEDXFER_SHARED is not set');
  return [root, ...parts].join('/');
}

/** A minimal .npy reader (little-endian float32 / uint8, C order), so programs need no other package. */
export function readNpyFile(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6];
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  const header = new TextDecoder().decode(bytes.subarray(start, start + headerLength));
  const descr = /'descr':\s*'([^']+)'/.exec(header)[1];
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header)[1].split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  if (/'fortran_order':\s*True/.test(header)) throw new Error('fortran order is not supported');
  const body = bytes.slice(start + headerLength);
  const data = descr === '<f4' ? new Float32Array(body.buffer) : descr === '|u1' ? new Uint8Array(body.buffer) : undefined;
  if (!data) throw new Error(`dtype ${descr} is not supported`);
  return { shape, data };
}

export function summary(label) {
  console.log(`${label}: ${passed} passed, ${failed} failed`);
  console.log(`RESULT ${passed} ${failed}`);
  process.exitCode = failed > 0 || passed === 0 ? 1 : 0;
}
