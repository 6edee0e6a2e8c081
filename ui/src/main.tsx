import { render } from 'preact';
import { App } from './app.js';
import { appIdentity, applyIdentity, IDENTITY_CHANGED, isDiscreet, productName } from './discreet.js';
import { startNeutralWords, stopNeutralWords } from './discreet-words.js';
import { registerServiceWorker } from './push.js';
import { installQuickExitKey } from './quick-exit.js';
import './styles.css';

installQuickExitKey();
registerServiceWorker();
const root = document.getElementById('app');
let neutral = false;
let generation = 0;
const draw = () => {
  if (root) render(<App key={generation} />, root);
};
// Discreet mode takes over every word on screen at once; leaving it draws the app afresh in its own words.
const follow = () => {
  document.body.classList.toggle('discreet', isDiscreet());
  if (isDiscreet()) {
    startNeutralWords(document.body, appIdentity().name, productName());
    neutral = true;
  } else if (neutral) {
    stopNeutralWords();
    neutral = false;
    generation++;
    draw();
  }
};
window.addEventListener(IDENTITY_CHANGED, follow);
applyIdentity();
draw();
