import type { Command } from 'commander';
import type { Act } from './cli.js';

/** Commander wiring of `expire` (issue 5). */
export function addExpire(_program: Command, _act: Act): void {}
