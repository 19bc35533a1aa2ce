/**
 * `npm run workshop`: build the workshop site (scripts/build-site.ts) and serve it (scripts/site-server.ts),
 * printing the address. `-- --host 0.0.0.0` serves a room's LAN (participants open the printed LAN address);
 * `-- --port N` picks the port (default 8080); `-- --no-build` serves the folder as it is; `-- --isolated` sends the
 * cross-origin isolation headers, so the wasm backend may use threads. Ctrl-C stops it.
 */
import * as os from 'node:os';
import { buildSite } from './build-site';
import { serveSite } from './site-server';

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = args[i + 1];
  if (v === undefined || v.startsWith('--')) throw new Error(`${name} needs a value, e.g. ${name === '--host' ? '--host 0.0.0.0' : '--port 8080'}.`);
  return v;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const known = new Set(['--host', '--port', '--no-build', '--isolated']);
  const unknown = args.filter((a, i) => a.startsWith('--') && !known.has(a) && !['--host', '--port'].includes(args[i - 1]));
  if (unknown.length) throw new Error(`Unknown option ${unknown.join(', ')}; use --host ADDRESS, --port N, --no-build, --isolated.`);
  const host = option(args, '--host') ?? '127.0.0.1';
  const portText = option(args, '--port') ?? '8080';
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port ${portText} is not a port number (0-65535).`);
  const dir = args.includes('--no-build') ? 'build/site' : (await buildSite()).dir;
  const server = await serveSite(dir, { host, port, isolated: args.includes('--isolated') });
  console.log(`workshop: open ${server.url}`);
  if (host === '0.0.0.0' || host === '::') {
    const lan = Object.values(os.networkInterfaces()).flat().filter((a) => a && a.family === 'IPv4' && !a.internal);
    for (const a of lan) console.log(`  on the LAN: http://${a!.address}:${new URL(server.url).port}/`);
  }
  console.log('Ctrl-C stops the server.');
}

main().catch((e) => {
  console.error(`workshop: ${e instanceof Error ? e.message : e}`);
  process.exit(1);
});
