/**
 * etcd connection settings from flags and environment, resolved the way etcdctl does it.
 * Pure and cheap; `open.ts` calls it once it has seen endpoints configured.
 */
import { UsageError } from '../../core/errors.js';

/** Raw values as commander hands them over (all strings, absent when not given). */
export interface EtcdFlags {
  endpoints?: string;
  cacert?: string;
  cert?: string;
  key?: string;
  user?: string;
  password?: string;
  dialTimeout?: string;
  commandTimeout?: string;
}

export interface EtcdOptions {
  /** `host:port`, or with `http://`/`https://` as given; never mixed schemes. */
  endpoints: string[];
  /** TLS is used when any endpoint is `https://` or any of these files is given. */
  tls?: { caFile?: string; certFile?: string; keyFile?: string };
  auth?: { username: string; password: string };
  dialTimeoutMs: number;
  commandTimeoutMs: number;
}

export type Env = Readonly<Record<string, string | undefined>>;

const DEFAULT_DIAL_TIMEOUT_MS = 2_000;
const DEFAULT_COMMAND_TIMEOUT_MS = 5_000;

/** A value and the name to blame for it: the flag, or the environment variable it came from. */
interface Sourced {
  value: string;
  source: string;
}

function pick(
  flags: EtcdFlags,
  env: Env,
  flag: keyof EtcdFlags,
  flagName: string,
  envSuffix: string,
): Sourced | undefined {
  const fromFlag = flags[flag];
  if (fromFlag !== undefined) return { value: fromFlag, source: flagName };
  for (const name of [`OTLPCTL_${envSuffix}`, `ETCDCTL_${envSuffix}`]) {
    const value = env[name];
    if (value !== undefined && value !== '') return { value, source: name };
  }
  return undefined;
}

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
};

/** Go-style durations as etcdctl takes them: `2s`, `500ms`, `1m30s`, `1.5s`. */
export function parseGoDuration(input: Sourced): number {
  const text = input.value.trim();
  const part = /(\d+(?:\.\d+)?|\.\d+)(ns|us|\u00b5s|ms|s|m|h)/gy; // \u00b5: µ, kept ASCII for the bundle
  let total = 0;
  let end = 0;
  for (let match = part.exec(text); match; match = part.exec(text)) {
    total += Number(match[1]) * (UNIT_MS[match[2] as string] as number);
    end = part.lastIndex;
  }
  if (text === '' || end !== text.length || total <= 0) {
    throw new UsageError(
      `${input.source}: expected a positive duration such as 2s, 500ms or 1m30s, got '${input.value}'`,
    );
  }
  return Math.ceil(total);
}

function parseEndpoint(raw: string, source: string): string {
  const match = /^(?:(https?):\/\/)?(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})\/?$/.exec(raw);
  const port = Number(match?.[3]);
  if (!match || port < 1 || port > 65535) {
    const shown = raw.replace(/\/\/[^/]*@/, '//…@'); // never echo a user:password@ given by mistake
    throw new UsageError(
      `${source}: expected endpoints as host:port, http://host:port or https://host:port, comma-separated; got '${shown}'`,
    );
  }
  return raw.replace(/\/$/, '');
}

function resolveAuth(flags: EtcdFlags, env: Env): EtcdOptions['auth'] {
  const user = pick(flags, env, 'user', '--user', 'USER');
  const password = pick(flags, env, 'password', '--password', 'PASSWORD');
  if (!user) {
    if (flags.password !== undefined) throw new UsageError('--password needs --user NAME');
    return undefined;
  }
  // With a separate password the whole --user value is the name, as in etcdctl; the value is
  // never echoed because `name:password` carries the secret.
  const colon = password ? -1 : user.value.indexOf(':');
  const username = colon >= 0 ? user.value.slice(0, colon) : user.value;
  const secret = colon >= 0 ? user.value.slice(colon + 1) : password?.value;
  if (username === '')
    throw new UsageError(`${user.source}: expected NAME:PASSWORD or NAME with --password, got an empty name`);
  if (secret === undefined || secret === '') {
    throw new UsageError(
      `${user.source}: no password for user '${username}': use NAME:PASSWORD, --password or OTLPCTL_PASSWORD`,
    );
  }
  return { username, password: secret };
}

function resolveTls(flags: EtcdFlags, env: Env, endpoints: string[]): EtcdOptions['tls'] {
  const caFile = pick(flags, env, 'cacert', '--cacert', 'CACERT')?.value;
  const cert = pick(flags, env, 'cert', '--cert', 'CERT');
  const key = pick(flags, env, 'key', '--key', 'KEY');
  if (cert && !key) throw new UsageError(`${cert.source} needs --key (the client certificate's private key)`);
  if (key && !cert) throw new UsageError(`${key.source} needs --cert (the client certificate)`);
  const https = endpoints.filter((e) => e.startsWith('https://')).length;
  const http = endpoints.filter((e) => e.startsWith('http://')).length;
  if (https > 0 && https < endpoints.length) {
    throw new UsageError(
      '--endpoints: expected all https:// or none; got a mix of secure and plain endpoints',
    );
  }
  const files = caFile !== undefined || cert !== undefined;
  if (files && http > 0)
    throw new UsageError('--endpoints: http:// endpoints cannot use --cacert/--cert/--key; use https://');
  if (!files && https === 0) return undefined;
  return { caFile, certFile: cert?.value, keyFile: key?.value };
}

/** Resolves flags (first) and environment (`OTLPCTL_*`, then `ETCDCTL_*`) into client options. */
export function resolveEtcdOptions(flags: EtcdFlags, env: Env): EtcdOptions {
  const endpointsIn = pick(flags, env, 'endpoints', '--endpoints', 'ENDPOINTS') ?? {
    value: '',
    source: '--endpoints',
  };
  const parts = endpointsIn.value.split(',').map((e) => e.trim());
  if (parts.every((e) => e === '')) {
    throw new UsageError(
      `${endpointsIn.source}: expected etcd endpoints as host:port, http://host:port or https://host:port, comma-separated; got none`,
    );
  }
  const endpoints = parts.filter((e) => e !== '').map((e) => parseEndpoint(e, endpointsIn.source));
  const dial = pick(flags, env, 'dialTimeout', '--dial-timeout', 'DIAL_TIMEOUT');
  const command = pick(flags, env, 'commandTimeout', '--command-timeout', 'COMMAND_TIMEOUT');
  const options: EtcdOptions = {
    endpoints,
    dialTimeoutMs: dial ? parseGoDuration(dial) : DEFAULT_DIAL_TIMEOUT_MS,
    commandTimeoutMs: command ? parseGoDuration(command) : DEFAULT_COMMAND_TIMEOUT_MS,
  };
  const tls = resolveTls(flags, env, endpoints);
  const auth = resolveAuth(flags, env);
  if (tls) options.tls = tls;
  if (auth) options.auth = auth;
  return options;
}
