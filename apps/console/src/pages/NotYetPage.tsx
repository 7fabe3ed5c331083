import { Link } from 'react-router';

/** A section the console does not have yet (issue 14): what to use meanwhile. */
export function NotYetPage({ title, missing = false }: { title: string; missing?: boolean }) {
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">{title}</h1>
      {missing ? (
        <p>
          There is no such page. <Link to="/models">Back to the models</Link>.
        </p>
      ) : (
        <p className="empty">
          This section is coming to the console. Meanwhile, use the SDK, the <code>modelgate</code> command or the{' '}
          <a href="/docs">API documentation</a>.
        </p>
      )}
    </section>
  );
}
