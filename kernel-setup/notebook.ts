/**
 * `npm run notebook [-- <jupyter notebook options>]`: the classic Jupyter Notebook (Debian's `jupyter-notebook`
 * 6.4; JupyterLab is not packaged for Debian 12) at the repository root, with the repo-local "TypeScript
 * (tpp-lab)" kernelspec (`JUPYTER_PATH=.jupyter`). Installs what is missing first (as root), prints the URL to
 * open, and runs until Ctrl-C. Extra options go to Jupyter, e.g. `-- --no-browser --port 8899`.
 *
 * {@link startNotebook} is also what the browser test (test/notebook-ui.test.ts) starts.
 */
import { spawn, type ChildProcess } from 'child_process';
import { jupyterEnv, LOCAL_JUPYTER_PATH, PYTHON, REPO_ROOT, writeKernelSpec } from './kernel';
import { ensureSystem, NOTEBOOK_PARTS } from './system';

/** A running Notebook server. */
export interface NotebookServer {
  /** The URL Jupyter printed, with its token (`http://127.0.0.1:8888/?token=...`). */
  readonly url: string;
  readonly child: ChildProcess;
  /** Everything the server has logged so far (Jupyter logs to stderr). */
  log(): string;
  /** Stop the server (SIGTERM; Jupyter shuts its kernels down) and wait for it to exit. */
  stop(): Promise<void>;
}

/** The command that serves the repository root with the repo-local kernelspec. */
export function notebookCommand(extraArgs: readonly string[] = []): { command: string; args: string[] } {
  // Jupyter refuses to run as root unless told; containers and CI run as root.
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  return { command: PYTHON, args: ['-m', 'notebook', `--notebook-dir=${REPO_ROOT}`, ...(root ? ['--allow-root'] : []), ...extraArgs] };
}

/** The first server URL in Jupyter's log (`http://host:port/...`), or null. */
export function serverUrl(log: string): string | null {
  return /(https?:\/\/(?:localhost|127\.0\.0\.1|\[[0-9a-f:]+\]|[\w.-]+):\d+\/\S*)/.exec(log)?.[1] ?? null;
}

/**
 * Write the repo-local kernelspec and start the Notebook server; resolves once it prints its URL (it is then
 * listening). Rejects with Jupyter's log if it exits first or prints no URL within `timeoutMs`.
 *
 * @param echo receives the server's log as it arrives (the CLI passes it on; the test keeps it quiet).
 */
export function startNotebook(extraArgs: readonly string[] = [], env: NodeJS.ProcessEnv = {}, echo: (chunk: string) => void = () => {}, timeoutMs = 60_000): Promise<NotebookServer> {
  writeKernelSpec(LOCAL_JUPYTER_PATH);
  const { command, args } = notebookCommand(extraArgs);
  const child = spawn(command, args, { cwd: REPO_ROOT, env: jupyterEnv(env), stdio: ['inherit', 'pipe', 'pipe'] });
  let log = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(`printed no URL within ${timeoutMs / 1000} s`), timeoutMs);
    const fail = (why: string) => {
      clearTimeout(timer);
      void stop();
      reject(new Error(`The Jupyter Notebook server (${command} ${args.join(' ')}) ${why}. Its log:\n${log.trim()}`));
    };
    const onData = (chunk: Buffer) => {
      log += chunk.toString();
      echo(chunk.toString());
      const url = serverUrl(log);
      if (url) {
        clearTimeout(timer);
        resolve({ url, child, log: () => log, stop });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('error', (e) => fail(`could not start: ${e.message}`));
    child.once('exit', (code, signal) => fail(`exited (${signal ?? `code ${code}`}) before printing its URL`));
  });
}

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help')) {
    console.log('Usage: npm run notebook [-- <jupyter notebook options, e.g. --no-browser --port 8899>]');
    return 0;
  }
  try {
    ensureSystem(NOTEBOOK_PARTS, (l) => console.log(l));
  } catch (e) {
    console.error((e as Error).message);
    return 1;
  }
  // Ctrl-C reaches Jupyter too (same process group); we wait for it to finish shutting down.
  process.on('SIGINT', () => {});
  let server: NotebookServer;
  try {
    server = await startNotebook(argv, {}, (chunk) => process.stderr.write(chunk));
  } catch (e) {
    console.error((e as Error).message);
    return 1;
  }
  // Jupyter masks a token given on the command line as `token=...`: then the user already knows it.
  const url = server.url.endsWith('?token=...') ? `${server.url.slice(0, -'?token=...'.length)}  (log in with the token you set)` : server.url;
  console.log(`\nOpen ${url}\nThe tutorials are in notebooks/; pick the kernel "TypeScript (tpp-lab)". Ctrl-C stops the server.\n`);
  const code = await new Promise<number>((resolve) => server.child.once('exit', (c) => resolve(c ?? 0)));
  return code;
}

if (require.main === module) void main(process.argv.slice(2)).then((code) => (process.exitCode = code));
