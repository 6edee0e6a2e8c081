import { render } from 'preact';

function App() {
  return (
    <main>
      <h1>Sanctuary</h1>
      <p>The hub is running.</p>
    </main>
  );
}

const root = document.getElementById('app');
if (root) render(<App />, root);
