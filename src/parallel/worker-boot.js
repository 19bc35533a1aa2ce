// Entry point of a gradient worker thread: compile TypeScript on the fly (like bin/tpp-lab.js), then run it.
require('tsx/cjs/api').register();
require('./worker');
