/**
 * Passwords for CLI commands come from a terminal prompt (not echoed) or from standard input —
 * never from argv, which every local user can read with `ps` (/proc/<pid>/cmdline), and never
 * from the environment, which child processes inherit and crash reports tend to dump.
 */
import { GatewayError } from './errors.js';

/** Longest password accepted anywhere (the login body's bound). */
const MAX_PASSWORD = 256;

/** Reads the whole of stdin (bounded), without the final line break. */
export async function passwordFromStdin(stdin: NodeJS.ReadableStream = process.stdin): Promise<string> {
  let text = '';
  for await (const chunk of stdin) {
    text += chunk.toString();
    if (text.length > MAX_PASSWORD + 2) throw new GatewayError('BAD_REQUEST', 'password too long');
  }
  const password = text.replace(/\r?\n$/, '');
  if (!password) throw new GatewayError('BAD_REQUEST', 'no password on standard input');
  return password;
}

/** Asks on the terminal twice, echoing nothing; throws when stdin is not a terminal. */
export async function passwordFromPrompt(): Promise<string> {
  if (!process.stdin.isTTY) {
    throw new GatewayError(
      'BAD_REQUEST',
      'no terminal to ask for the password: pipe it in with --password-stdin',
    );
  }
  const first = await ask('Password: ');
  const second = await ask('Repeat it: ');
  if (first !== second) throw new GatewayError('BAD_REQUEST', 'the passwords differ');
  return first;
}

function ask(question: string): Promise<string> {
  const { stdin, stderr } = process;
  // Echo off before the prompt shows: a password typed the moment it appears is never echoed.
  stdin.setRawMode(true);
  stderr.write(question);
  stdin.resume();
  return new Promise((resolve, reject) => {
    let text = '';
    const done = (err?: Error) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      stderr.write('\n');
      if (err) reject(err);
      else resolve(text);
    };
    const onData = (data: Buffer) => {
      for (const ch of data.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003' || ch === '\u0004') return done(new GatewayError('BAD_REQUEST', 'cancelled'));
        if (ch === '\u007f' || ch === '\b') text = [...text].slice(0, -1).join('');
        else if (ch >= ' ') text += ch;
        if (text.length > MAX_PASSWORD) return done(new GatewayError('BAD_REQUEST', 'password too long'));
      }
    };
    stdin.on('data', onData);
  });
}
