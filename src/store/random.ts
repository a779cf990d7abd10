/**
 * Random hex for lease, lock and audit ids. Web Crypto's global is loaded on first use, so a
 * command that writes nothing does not pay for node:crypto at start-up.
 */
export function randomHex(bytes: number): string {
  const b = globalThis.crypto.getRandomValues(new Uint8Array(bytes));
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}
