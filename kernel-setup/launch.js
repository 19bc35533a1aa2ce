#!/usr/bin/env node
// Starts the tslab TypeScript kernel for this repository. Jupyter runs it as
//   node kernel-setup/launch.js <connection_file>
// tslab roots its TypeScript project at the kernel's working directory and rejects imports outside it, and
// Jupyter starts kernels in the notebook's folder (notebooks/). So we move to the repository root first:
// cells then import the library as `import { ... } from "./src/..."` whichever folder the notebook is in.
const path = require('path');
const root = path.resolve(__dirname, '..');
const connectionFile = process.argv[2];
if (!connectionFile) {
  console.error('usage: node kernel-setup/launch.js <connection_file>  (Jupyter passes it; see kernel-setup/README.md)');
  process.exit(2);
}
process.chdir(root);
process.env.TPP_LAB_ROOT = root;
process.argv = [process.argv[0], path.join(root, 'node_modules/tslab/bin/tslab'), 'kernel', '--config-path', path.resolve(connectionFile)];
require(path.join(root, 'node_modules/tslab/dist/main.js')).main();
