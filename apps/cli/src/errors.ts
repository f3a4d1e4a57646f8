/** A mistake in how medxfer was called: exit code 2, nothing written. */
export class UsageError extends Error {
  override name = 'UsageError';
}
