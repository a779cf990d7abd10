/**
 * Real etcd processes for tests: one member or a three-member cluster on free loopback ports,
 * each in its own temp dir and process group, killed with the group when stopped, when the test
 * process exits, or (via a watchdog shell) when the test process dies without running handlers.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, closeSync } from 'node:fs';
import https from 'node:https';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { TlsFiles } from './etcd-tls.js';

const execFileAsync = promisify(execFile);

export interface EtcdMember {
  readonly name: string;
  /** What a client passes as an endpoint: `127.0.0.1:PORT`, or `https://127.0.0.1:PORT` with TLS. */
  readonly endpoint: string;
  readonly clientPort: number;
  readonly running: boolean;
  /** SIGKILL the member's process group (etcd and its watchdog). */
  kill(): Promise<void>;
  /** Start a killed member again on its data dir and ports; resolves once it is healthy. */
  restart(): Promise<void>;
  /** SIGSTOP / SIGCONT the member: a hung etcd that keeps its connections open. */
  pause(): void;
  resume(): void;
}

export interface EtcdCluster {
  readonly members: EtcdMember[];
  readonly endpoints: string[];
  /** Run etcdctl against the running members (with the TLS files, if any); resolves to stdout. */
  etcdctl(args: string[]): Promise<string>;
  /** The running member that is the raft leader, if there is one. */
  leader(): Promise<EtcdMember | undefined>;
  stop(): Promise<void>;
}

export interface StartEtcdOptions {
  members?: 1 | 3;
  tls?: TlsFiles;
  /** More etcd flags, e.g. `--auth-token-ttl=1`. */
  extraArgs?: string[];
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => live.forEach(killGroup));
}

const MISSING_ETCD =
  'etcd tests need etcd >= 3.4 at /usr/bin/etcd and etcdctl at /usr/bin/etcdctl: on Debian or Ubuntu run `apt-get update && apt-get install -y etcd-server etcd-client` as root';
let installFailure: Error | undefined;

/** Path of the etcd binary; installs Debian's etcd-server once (per process) when root on Debian. */
export function ensureEtcd(): string {
  const present = (): boolean => existsSync('/usr/bin/etcd') && existsSync('/usr/bin/etcdctl');
  if (present()) return '/usr/bin/etcd';
  const canInstall =
    process.getuid?.() === 0 && existsSync('/usr/bin/apt-get') && existsSync('/etc/debian_version');
  if (canInstall && !installFailure) {
    try {
      const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
      execFileSync('apt-get', ['update'], { stdio: 'ignore', env });
      execFileSync('apt-get', ['install', '-y', 'etcd-server', 'etcd-client'], { stdio: 'ignore', env });
    } catch (err) {
      installFailure = new Error(`${MISSING_ETCD} (installing it failed: ${(err as Error).message})`);
    }
    if (present()) return '/usr/bin/etcd';
  }
  throw installFailure ?? new Error(MISSING_ETCD);
}

/** Environment without ETCD_ and ETCDCTL_ variables, which etcd and etcdctl would read as flags. */
export function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^ETCD(CTL)?_/.test(k)));
}

/** Distinct free loopback ports: all are held open together so none is handed out twice. */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => {
      const server = net.createServer();
      return new Promise<net.Server>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve(server));
      });
    }),
  );
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

function healthy(port: number, tls: TlsFiles | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    const onResponse = (res: http.IncomingMessage): void => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve(res.statusCode === 200 && body.includes('"true"')));
    };
    const options = { host: '127.0.0.1', port, path: '/health', timeout: 1000 };
    const req = tls
      ? https.get(
          {
            ...options,
            ca: readFileSync(tls.ca),
            cert: readFileSync(tls.clientCert),
            key: readFileSync(tls.clientKey),
          },
          onResponse,
        )
      : http.get(options, onResponse);
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

function logTail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Starts etcd (one member by default) and resolves once every member reports healthy. */
export async function startEtcd(options: StartEtcdOptions = {}): Promise<EtcdCluster> {
  const binary = ensureEtcd();
  installExitHook();
  // A port found free can be taken (say, as an outgoing connection's local port) before etcd binds it.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(binary, options);
    } catch (err) {
      if (attempt === 3 || !/address already in use/.test(String(err))) throw err;
    }
  }
}

async function startOnce(binary: string, options: StartEtcdOptions): Promise<EtcdCluster> {
  const count = options.members ?? 1;
  const tls = options.tls;
  const scheme = tls ? 'https' : 'http';
  const root = mkdtempSync(path.join(os.tmpdir(), 'otlpctl-etcd-'));
  const ports = await freePorts(count * 2);
  const names = Array.from({ length: count }, (_, i) => `m${i}`);
  const peerUrl = (i: number): string => `http://127.0.0.1:${ports[count + i]}`;
  const initialCluster = names.map((n, i) => `${n}=${peerUrl(i)}`).join(',');

  const members = names.map((name, i) => {
    const clientPort = ports[i] as number;
    const clientUrl = `${scheme}://127.0.0.1:${clientPort}`;
    const args = [
      `--name=${name}`,
      `--data-dir=${path.join(root, name)}`,
      `--listen-client-urls=${clientUrl}`,
      `--advertise-client-urls=${clientUrl}`,
      `--listen-peer-urls=${peerUrl(i)}`,
      `--initial-advertise-peer-urls=${peerUrl(i)}`,
      `--initial-cluster=${initialCluster}`,
      `--initial-cluster-token=${path.basename(root)}`,
      '--initial-cluster-state=new',
      '--log-level=warn',
      // A lone member has nobody to wait for: elect it at once instead of after the default 1 s.
      ...(count === 1 ? ['--heartbeat-interval=10', '--election-timeout=100'] : []),
      ...(options.extraArgs ?? []),
      ...(tls
        ? [
            `--cert-file=${tls.serverCert}`,
            `--key-file=${tls.serverKey}`,
            `--trusted-ca-file=${tls.ca}`,
            '--client-cert-auth',
          ]
        : []),
    ];
    return new Member(
      name,
      tls ? clientUrl : `127.0.0.1:${clientPort}`,
      clientPort,
      [binary, ...args],
      path.join(root, `${name}.log`),
      tls,
    );
  });
  members.forEach((m) => m.launch());

  const stop = async (): Promise<void> => {
    await Promise.all(members.map((m) => m.kill()));
    rmSync(root, { recursive: true, force: true });
  };
  try {
    await Promise.all(members.map((m) => m.waitHealthy()));
  } catch (err) {
    await stop();
    throw err;
  }

  const tlsArgs = tls ? [`--cacert=${tls.ca}`, `--cert=${tls.clientCert}`, `--key=${tls.clientKey}`] : [];
  const etcdctl = async (args: string[]): Promise<string> => {
    const running = members.filter((m) => m.running).map((m) => m.endpoint);
    const { stdout } = await execFileAsync(
      '/usr/bin/etcdctl',
      [`--endpoints=${running.join(',')}`, ...tlsArgs, ...args],
      {
        env: { ...cleanEnv(), ETCDCTL_API: '3' },
      },
    );
    return stdout;
  };
  const leader = async (): Promise<EtcdMember | undefined> => {
    type Status = { Endpoint: string; Status: { header: { member_id: number }; leader: number } };
    const statuses = JSON.parse(await etcdctl(['endpoint', 'status', '-w', 'json'])) as Status[];
    const endpoint = statuses.find((s) => s.Status.header.member_id === s.Status.leader)?.Endpoint;
    return members.find((m) => m.endpoint === endpoint);
  };
  return { members, endpoints: members.map((m) => m.endpoint), etcdctl, leader, stop };
}

class Member implements EtcdMember {
  private child: ChildProcess | undefined;

  constructor(
    readonly name: string,
    readonly endpoint: string,
    readonly clientPort: number,
    private readonly command: string[],
    private readonly log: string,
    private readonly tls: TlsFiles | undefined,
  ) {}

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  launch(): void {
    const logFd = openSync(this.log, 'a');
    // The watchdog shell kills etcd when this test process is gone, even after a SIGKILL.
    const watchdog = `"$@" & child=$!; trap 'kill -9 $child 2>/dev/null' EXIT; while kill -0 ${process.pid} 2>/dev/null && kill -0 $child 2>/dev/null; do sleep 0.5; done`;
    const child = spawn('bash', ['-c', watchdog, 'etcd-watchdog', ...this.command], {
      detached: true,
      stdio: ['ignore', logFd, logFd],
      env: cleanEnv(),
    });
    closeSync(logFd);
    live.add(child);
    child.once('exit', () => live.delete(child));
    this.child = child;
  }

  async waitHealthy(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await healthy(this.clientPort, this.tls))) {
      if (!this.running || Date.now() > deadline) {
        throw new Error(
          `etcd member ${this.name} ${this.running ? 'not healthy after 30s' : 'exited'}:\n${logTail(this.log)}`,
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async kill(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    killGroup(child);
    await exited;
  }

  async restart(): Promise<void> {
    await this.kill();
    this.launch();
    await this.waitHealthy();
  }

  pause(): void {
    if (this.child?.pid !== undefined) process.kill(-this.child.pid, 'SIGSTOP');
  }

  resume(): void {
    if (this.child?.pid !== undefined) process.kill(-this.child.pid, 'SIGCONT');
  }
}
