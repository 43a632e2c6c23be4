/**
 * Errors raised by the Callosum transport; the `code` tells callers what
 * happened without parsing the message.
 */
import { BrainstemError } from '../errors.js';

export type CallosumErrorCode =
  /** The socket path does not fit in a Unix socket address (108 bytes on Linux, NUL included). */
  | 'SOCKET_PATH_TOO_LONG'
  /** Another live server already answers on the socket path. */
  | 'SERVER_RUNNING'
  /** Something that is not a socket sits at the socket path; it is not ours to delete. */
  | 'NOT_A_SOCKET'
  /** Listening failed for another reason (permissions, missing directory…). */
  | 'LISTEN_FAILED';

export class CallosumError extends BrainstemError {
  readonly code: CallosumErrorCode;
  readonly socketPath: string;

  constructor(code: CallosumErrorCode, socketPath: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.socketPath = socketPath;
  }
}
