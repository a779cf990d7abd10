import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/core/errors.js';
import { resolveEtcdOptions, type EtcdFlags, type EtcdOptions } from '../../src/store/etcd/options.js';

const defaults = { dialTimeoutMs: 2_000, commandTimeoutMs: 5_000 };
const resolve = (flags: EtcdFlags, env: Record<string, string> = {}): EtcdOptions =>
  resolveEtcdOptions(flags, env);

describe('resolveEtcdOptions', () => {
  it.each<[string, EtcdFlags, Record<string, string>, Partial<EtcdOptions>]>([
    ['one host:port', { endpoints: '10.0.0.1:2379' }, {}, { endpoints: ['10.0.0.1:2379'] }],
    [
      'a comma list, spaces and empty items ignored',
      { endpoints: 'a:1, b:2,,http://c:3/' },
      {},
      { endpoints: ['a:1', 'b:2', 'http://c:3'] },
    ],
    ['IPv6', { endpoints: '[::1]:2379' }, {}, { endpoints: ['[::1]:2379'] }],
    ['OTLPCTL_ENDPOINTS', {}, { OTLPCTL_ENDPOINTS: 'o:1', ETCDCTL_ENDPOINTS: 'e:1' }, { endpoints: ['o:1'] }],
    ['ETCDCTL_ENDPOINTS', {}, { ETCDCTL_ENDPOINTS: 'e:1' }, { endpoints: ['e:1'] }],
    [
      'the flag before the environment',
      { endpoints: 'f:1' },
      { OTLPCTL_ENDPOINTS: 'o:1' },
      { endpoints: ['f:1'] },
    ],
    [
      'durations',
      { endpoints: 'a:1', dialTimeout: '500ms', commandTimeout: '1m30s' },
      {},
      { dialTimeoutMs: 500, commandTimeoutMs: 90_000 },
    ],
    [
      'fractional durations from the environment',
      { endpoints: 'a:1' },
      { ETCDCTL_DIAL_TIMEOUT: '1.5s', OTLPCTL_COMMAND_TIMEOUT: '2s' },
      { dialTimeoutMs: 1_500, commandTimeoutMs: 2_000 },
    ],
    [
      'https:// alone uses TLS with the system CAs',
      { endpoints: 'https://a:1,https://b:2' },
      {},
      { tls: { caFile: undefined, certFile: undefined, keyFile: undefined } },
    ],
    [
      '--cacert/--cert/--key',
      { endpoints: 'a:1', cacert: 'ca.pem', cert: 'c.pem', key: 'k.pem' },
      {},
      { tls: { caFile: 'ca.pem', certFile: 'c.pem', keyFile: 'k.pem' } },
    ],
    [
      'TLS files from the environment',
      { endpoints: 'https://a:1' },
      { ETCDCTL_CACERT: 'ca', OTLPCTL_CERT: 'c', OTLPCTL_KEY: 'k' },
      { tls: { caFile: 'ca', certFile: 'c', keyFile: 'k' } },
    ],
    [
      '--user name:password',
      { endpoints: 'a:1', user: 'otlp:s3:cr3t' },
      {},
      { auth: { username: 'otlp', password: 's3:cr3t' } },
    ],
    [
      '--user with --password keeps a colon in the name',
      { endpoints: 'a:1', user: 'a:b', password: 'pw' },
      {},
      { auth: { username: 'a:b', password: 'pw' } },
    ],
    [
      'user and password from the environment',
      { endpoints: 'a:1' },
      { ETCDCTL_USER: 'u', OTLPCTL_PASSWORD: 'pw' },
      { auth: { username: 'u', password: 'pw' } },
    ],
  ])('%s', (_, flags, env, want) => {
    expect(resolve(flags, env)).toEqual({
      ...defaults,
      ...want,
      endpoints: want.endpoints ?? expect.any(Array),
    });
  });

  it.each<[string, EtcdFlags, Record<string, string>, RegExp]>([
    [
      'no endpoints',
      {},
      {},
      /^--endpoints: expected etcd endpoints as host:port, http:\/\/host:port or https:\/\/host:port/,
    ],
    ['an endpoint without a port', { endpoints: 'a:1,b' }, {}, /^--endpoints: expected .* got 'b'$/],
    ['a bad port', { endpoints: 'a:70000' }, {}, /got 'a:70000'/],
    [
      'credentials in an endpoint, without echoing them',
      { endpoints: 'http://u:hunter2@a:1' },
      {},
      /got 'http:\/\/…@a:1'$/,
    ],
    ['another scheme', { endpoints: 'unix://x:1' }, {}, /got 'unix:\/\/x:1'/],
    [
      'a bad endpoint from the environment',
      {},
      { OTLPCTL_ENDPOINTS: 'nope' },
      /^OTLPCTL_ENDPOINTS: expected/,
    ],
    ['mixed schemes', { endpoints: 'https://a:1,b:2' }, {}, /all https:\/\/ or none/],
    ['http:// with a CA', { endpoints: 'http://a:1', cacert: 'ca' }, {}, /use https:\/\//],
    ['--cert without --key', { endpoints: 'a:1', cert: 'c' }, {}, /^--cert needs --key/],
    ['ETCDCTL_KEY without a cert', { endpoints: 'a:1' }, { ETCDCTL_KEY: 'k' }, /^ETCDCTL_KEY needs --cert/],
    [
      'a duration without a unit',
      { endpoints: 'a:1', dialTimeout: '5' },
      {},
      /^--dial-timeout: expected a positive duration such as 2s, 500ms or 1m30s, got '5'$/,
    ],
    [
      'a zero duration',
      { endpoints: 'a:1', commandTimeout: '0s' },
      {},
      /^--command-timeout: expected a positive duration/,
    ],
    [
      'garbage after a duration',
      { endpoints: 'a:1' },
      { OTLPCTL_COMMAND_TIMEOUT: '5s later' },
      /^OTLPCTL_COMMAND_TIMEOUT: expected/,
    ],
    [
      '--user without a password',
      { endpoints: 'a:1', user: 'otlp' },
      {},
      /^--user: no password for user 'otlp': use NAME:PASSWORD, --password or OTLPCTL_PASSWORD$/,
    ],
    [
      '--user with an empty name',
      { endpoints: 'a:1', user: ':hunter2' },
      {},
      /^--user: expected NAME:PASSWORD or NAME with --password, got an empty name$/,
    ],
    [
      '--password without --user',
      { endpoints: 'a:1', password: 'hunter2' },
      {},
      /^--password needs --user NAME$/,
    ],
  ])('refuses %s with a UsageError naming the input', (_, flags, env, why) => {
    const error = (() => {
      try {
        resolve(flags, env);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(why);
    expect((error as Error).message).not.toContain('hunter2');
  });
});
