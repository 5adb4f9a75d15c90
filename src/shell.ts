import type { CodeCacheState } from './executable/hookAsset.js';

/**
 * The process's edges, gathered in one object that main.ts makes from
 * `process` and hands to the commands; nothing else reads `process`.
 */
export interface Shell {
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** The Node.js runtime's version (process.version): the embedded one in the executable. */
  readonly nodeVersion: string;
  /** Whether V8 took the code cache the single executable carries for the hook ('none' elsewhere). */
  readonly codeCache: CodeCacheState;
  /** Whether V8 took the code cache the single executable carries for the command line (the second bundle). */
  readonly cliCodeCache: CodeCacheState;
  /** How to run this same geo-hook again (for hooks it installs): the executable, or node and the script. */
  readonly self: readonly string[];
  /** Standard input, made on first use (a stream, and the modules behind it, cost every run that does not need it). */
  readonly stdin: NodeJS.ReadableStream & { isTTY?: boolean; destroy(): void };
  /** Whether standard input is a terminal (someone running the hook by hand), without making the stream. */
  readonly stdinIsTerminal: boolean;
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  /** Sets the exit status; the process ends by itself once its output is flushed. */
  setExitCode(code: number): void;
  /**
   * Ends the process now, with this status: only at the deadline, after the
   * last line is written, when something given up (a file operation stuck in
   * the thread pool) would otherwise keep it alive.
   */
  exitNow(code: number): never;
  /** Runs once on SIGINT or SIGTERM, for commands that keep running (serve, lab). */
  onStop(handler: () => void | Promise<void>): void;
  /** Runs on every SIGHUP, for a server that loads its files again. */
  onReload(handler: () => void | Promise<void>): void;
}
