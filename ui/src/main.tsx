import { render } from 'preact';
import { App } from './app.js';
import { applyIdentity } from './discreet.js';
import { registerServiceWorker } from './push.js';
import { installQuickExitKey } from './quick-exit.js';
import './styles.css';

applyIdentity();
installQuickExitKey();
registerServiceWorker();
const root = document.getElementById('app');
if (root) render(<App />, root);
