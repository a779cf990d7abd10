import type { Command } from 'commander';
import type { Act } from './cli.js';

/** Commander wiring of `rebalance plan|apply|status|resume|cancel` (issue 4). */
export function addRebalance(_program: Command, _act: Act): void {}
