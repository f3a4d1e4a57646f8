/** A tfjs backend that cannot start here (not installed, no driver): one line, exit code 2. */
export class BackendUnavailableError extends Error {
  override name = 'BackendUnavailableError';
}
