/**
 * Output formats shared by every command (PRODUCT.md §4). A module of its own so that the CLI can
 * parse `-o` without loading chalk and cli-table3 (start-up time).
 */
export const FORMATS = ['table', 'json', 'ndjson', 'tsv'] as const;
export type Format = (typeof FORMATS)[number];
