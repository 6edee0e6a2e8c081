/**
 * The composition root: the one place that puts the hub, its plugins and the detectors together.
 * hub/ never imports plugins/ or detectors/; they all meet here.
 */
import { runCli } from '../hub/cli/run.js';
import { builtinPlugins } from './plugins.js';

const code = await runCli(process.argv.slice(2), { plugins: builtinPlugins });
process.exit(code);
