// Linux errno values the driver and the ethtool core return, with glibc's strerror() text.
export const EPERM = 1;
export const ENOENT = 2;
export const EIO = 5;
export const E2BIG = 7;
export const EAGAIN = 11;
export const ENOMEM = 12;
export const EBUSY = 16;
export const ENODEV = 19;
export const EINVAL = 22;
export const ENOSPC = 28;
export const ERANGE = 34;
export const EPROTO = 71;
export const EOPNOTSUPP = 95;
export const EADDRNOTAVAIL = 99;

const TEXT: Record<number, string> = {
  [EPERM]: 'Operation not permitted',
  [ENOENT]: 'No such file or directory',
  [EIO]: 'Input/output error',
  [E2BIG]: 'Argument list too long',
  [EAGAIN]: 'Resource temporarily unavailable',
  [ENOMEM]: 'Cannot allocate memory',
  [EBUSY]: 'Device or resource busy',
  [ENODEV]: 'No such device',
  [EINVAL]: 'Invalid argument',
  [ENOSPC]: 'No space left on device',
  [ERANGE]: 'Numerical result out of range',
  [EPROTO]: 'Protocol error',
  [EOPNOTSUPP]: 'Operation not supported',
  [EADDRNOTAVAIL]: 'Cannot assign requested address',
};

/** strerror(errno) as glibc prints it; accepts a negative kernel return value too. */
export function strerror(errno: number): string {
  const e = Math.abs(errno);
  return TEXT[e] ?? `Unknown error ${e}`;
}

/** What a driver/core operation returns: 0 or a negative errno, with the netlink extack if any. */
export interface OpResult {
  err: number;
  /** NL_SET_ERR_MSG text (module-prefixed where the kernel prefixes it). */
  extack?: string;
  /** The netlink attribute the extack points at (NL_SET_ERR_MSG_ATTR), by request attribute name. */
  extackAttr?: string;
}

export const OK: OpResult = { err: 0 };
