// Fails if any module of src/ imports itself through others, type-only imports included (a type
// cycle still ties two files together: neither can be read or moved alone). Run by `npm test`.
import madge from 'madge';

const graph = await madge('src', {
  fileExtensions: ['ts'],
  detectiveOptions: { ts: { skipTypeImports: false } },
});
const cycles = graph.circular();
for (const cycle of cycles) console.error(`import cycle: ${cycle.join(' → ')} → ${cycle[0]}`);
if (cycles.length > 0) process.exit(1);
console.log(`no import cycles in ${Object.keys(graph.obj()).length} modules of src/`);
