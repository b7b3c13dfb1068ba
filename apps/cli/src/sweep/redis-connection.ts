import { createConnection } from 'node:net';
import { SdaeError } from '@sdae/core';

// The Redis of a queued sweep: its URL as --queue reads it, the connection options BullMQ (ioredis)
// gets from it, and a check that the server answers, lets us in and has the database, before
// BullMQ is given the URL (BullMQ retries an unreachable or refusing Redis silently forever).

/**
 * The Redis of `--queue` cannot be used: it does not answer, refuses the password, has no such
 * database, or went away while a sweep was being followed. `url` is the URL as printed (password
 * hidden); `sweep` the sweep being followed, if any.
 */
export class RedisUnavailableError extends SdaeError {
  readonly url: string;
  readonly sweep: string | undefined;

  constructor(url: string, message: string, sweep?: string) {
    super(message);
    this.url = url;
    this.sweep = sweep;
  }
}

/** What ioredis needs to reach the Redis of `url` (`redis://[USER[:PASSWORD]@]HOST:PORT/DB`, as the --queue parser returns it). */
export interface RedisConnection {
  host: string;
  port: number;
  db: number;
  username: string | undefined;
  password: string | undefined;
  /** BullMQ's workers block on Redis: ioredis must not give up on a command while it reconnects. */
  maxRetriesPerRequest: null;
}

/** The connection options of `url` (an IPv6 host without its brackets, the user and password decoded). */
export function connectionOptions(url: string): RedisConnection {
  const parsed = new URL(url);
  return {
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: Number(parsed.port === '' ? 6379 : parsed.port),
    db: Number(parsed.pathname.slice(1) || 0),
    username: parsed.username === '' ? undefined : decodeURIComponent(parsed.username),
    password: parsed.password === '' ? undefined : decodeURIComponent(parsed.password),
    maxRetriesPerRequest: null,
  };
}

/** `url` as sdae prints it: the password replaced by `***`, so that it never reaches a log or a terminal. */
export function printableUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password !== '') parsed.password = '***';
  return parsed.toString();
}

/** One command in Redis's protocol (RESP): an array of bulk strings. */
function command(...parts: string[]): string {
  return `*${parts.length}\r\n${parts.map((part) => `$${Buffer.byteLength(part)}\r\n${part}\r\n`).join('')}`;
}

/**
 * Why `reply` (one line of Redis's answer to the command `name`) refuses the connection, in words
 * with what to do, or undefined when it is a success.
 */
function refusal(name: 'AUTH' | 'SELECT' | 'PING', reply: string, connection: RedisConnection): string | undefined {
  if (name === 'PING' && reply === '+PONG') return undefined;
  if (name !== 'PING' && reply === '+OK') return undefined;
  if (reply.startsWith('-NOAUTH')) {
    return 'it requires a password (NOAUTH). Put it in the URL: redis://:PASSWORD@HOST:PORT/DB, or redis://USER:PASSWORD@HOST:PORT/DB';
  }
  if (name === 'AUTH') {
    return `it refused the ${connection.username === undefined ? 'password' : `user ${connection.username} or the password`} (${reply.slice(1).split(' ')[0]}). Check them in --queue`;
  }
  if (name === 'SELECT') {
    return `it has no database ${connection.db} (${reply.slice(1)}). Pass a database index below its "databases" setting (16 by default), such as /0`;
  }
  return `it answered ${JSON.stringify(reply.slice(0, 80))} to PING, which a Redis server does not. Check the host and port`;
}

/**
 * Checks that a Redis server answers at `url`, accepts its user and password and has its database
 * (AUTH, SELECT and PING within 3 s), so that a Redis that cannot be used fails at once and by
 * name instead of BullMQ retrying forever, or silently using another database.
 *
 * @throws {RedisUnavailableError} `cannot use redis://...: <reason>`, with what to do.
 */
export async function requireRedis(url: string): Promise<void> {
  const connection = connectionOptions(url);
  const steps: ('AUTH' | 'SELECT' | 'PING')[] = [...(connection.password === undefined ? [] : ['AUTH' as const]), 'SELECT', 'PING'];
  const reason = await new Promise<string | undefined>((settle) => {
    const socket = createConnection({ host: connection.host, port: connection.port });
    let received = '';
    const finish = (result: string | undefined) => {
      clearTimeout(timer);
      socket.destroy();
      settle(result);
    };
    const timer = setTimeout(() => finish('no answer within 3 s'), 3000);
    socket.on('connect', () => {
      const auth =
        connection.username === undefined
          ? command('AUTH', connection.password ?? '')
          : command('AUTH', connection.username, connection.password ?? '');
      socket.write(
        steps
          .map((step) => (step === 'AUTH' ? auth : step === 'SELECT' ? command('SELECT', String(connection.db)) : command('PING')))
          .join(''),
      );
    });
    socket.on('data', (data) => {
      received += data.toString('latin1');
      const replies = received.split('\r\n');
      for (const [index, step] of steps.entries()) {
        const reply = replies[index];
        if (reply === undefined || index === replies.length - 1) return;
        const refused = refusal(step, reply, connection);
        if (refused !== undefined) return finish(refused);
      }
      finish(undefined);
    });
    socket.on('error', (error) => finish(error.message));
  });
  if (reason !== undefined) {
    const printed = printableUrl(url);
    throw new RedisUnavailableError(
      printed,
      reason.startsWith('it ')
        ? `cannot use ${printed}: ${reason}.`
        : `cannot reach ${printed}: ${reason}. Start redis-server there (or pass the --queue of a running one), then run again.`,
    );
  }
}
